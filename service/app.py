"""The deployable ASGI app, configured by ``SEQCLF_*`` environment variables.

    uvicorn service.app:app --host 0.0.0.0 --port 8000

Each process batches on its own and holds its own copy of every model. One process is
the default; ``uvicorn --workers N`` (or ``seqclf serve --workers N``) adds interpreters
for HTTP work, which pays when a model's forward pass is long next to the cost of its
requests, at the price of the models' memory per worker. See docs/serving.md.
"""

from seqclf.serving.app import create_app

app = create_app()
