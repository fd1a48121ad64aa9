# The seqclf inference service: a slim CPU image, run as a non-root user.
#
#   docker build -t seqclf .
#   docker run --rm -p 8000:8000 -v "$PWD/models:/app/models:ro" seqclf
#
# Models are mounted (or named as Hub repo ids in SEQCLF_MODELS), not baked in, so
# one image serves any model. Settings come from SEQCLF_* variables (docs/serving.md).
# The Gradio UI runs from an image built with its extra, with its own command:
#   docker build -t seqclf-ui --build-arg EXTRAS=serve,speech,ui .
#   docker run --rm -p 7860:7860 -v "$PWD/models:/app/models:ro" -e GRADIO_SERVER_NAME=0.0.0.0 seqclf-ui python app.py
FROM python:3.11-slim

# serve: the REST service; speech: reading WAV files for audio models (libsndfile is in the wheel)
ARG EXTRAS=serve,speech

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SEQCLF_MODELS_DIR=/app/models \
    HF_HOME=/home/seqclf/.cache/huggingface

WORKDIR /app

# torch first, from PyTorch's CPU index: the PyPI wheel would pull ~5 GB of CUDA libraries.
# Its version (and every other pin) comes from constraints.txt.
COPY constraints.txt ./
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu -c constraints.txt torch

COPY pyproject.toml README.md ./
COPY seqclf ./seqclf
RUN pip install --no-cache-dir -c constraints.txt ".[${EXTRAS}]"

COPY service ./service
COPY app.py ./
COPY examples ./examples

RUN useradd --create-home --uid 10001 seqclf && mkdir -p /app/models && chown seqclf /app/models
USER 10001

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]

CMD ["uvicorn", "service.app:app", "--host", "0.0.0.0", "--port", "8000"]
