"""The service's routes, one module per resource."""

from seqclf.serving.schemas import ErrorResponse

#: documented error answers of the prediction routes (all are JSON ``{"error": ...}``)
ERROR_RESPONSES: dict[int | str, dict] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        400: "The body is not valid JSON.",
        401: "An API key is configured and the request lacks it.",
        404: "No model with this id.",
        413: "The body is larger than the server's limit.",
        415: "The model does not take this kind of input (e.g. audio upload to a text model).",
        422: "The inputs or parameters are not acceptable; the message says why.",
        503: "The model's queue is full or the server is stopping; retry after Retry-After seconds.",
    }.items()
}
