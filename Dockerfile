# The seqclf inference service: a slim CPU image, run as a non-root user (docs/serving.md, "Docker").
#
#   docker build -t seqclf .
#   docker run --rm -p 8000:8000 -v "$PWD/models:/app/models:ro" seqclf
#
# Models are mounted (or named as Hub repo ids in SEQCLF_MODELS), not baked in, so one image
# serves any model; Dockerfile.models bakes them into an image built FROM this one.
# Settings come from SEQCLF_* variables (docs/serving.md); SEQCLF_TORCH_THREADS should match --cpus.
# The Gradio UI is the `ui` target, built with the ui extra (the build fails without it):
#   docker build -t seqclf-ui --target ui --build-arg EXTRAS=serve,speech,ui .
#   docker run --rm -p 7860:7860 -v "$PWD/models:/app/models:ro" seqclf-ui
#
# The base image: pin it by digest for reproducible builds, e.g.
#   --build-arg PYTHON_IMAGE=python:3.11-slim@sha256:<digest of `docker buildx imagetools inspect python:3.11-slim`>
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS base

# serve: the REST service; speech: reading WAV files for audio models (libsndfile is in the wheel)
ARG EXTRAS=serve,speech
# Core dependencies that only training uses (plots, data splits and scores); nothing the service
# or the UI imports them. `--build-arg WITHOUT=` keeps them, for `seqclf train` inside the image.
ARG WITHOUT=matplotlib,scikit-learn

# Caches live in /app/cache, which any uid can write (sticky, like /tmp): `docker run --user`
# and Kubernetes' runAsUser need not be 10001, and HOME would otherwise be / for them.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SEQCLF_MODELS_DIR=/app/models \
    HOME=/app/cache \
    XDG_CACHE_HOME=/app/cache \
    HF_HOME=/app/cache/huggingface \
    MPLCONFIGDIR=/app/cache/matplotlib

WORKDIR /app

# torch first, from PyTorch's CPU index: the PyPI wheel would pull ~5 GB of CUDA libraries.
# Its version (and every other pin) comes from constraints.txt, given to every pip install.
COPY constraints.txt ./
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu -c constraints.txt torch

# The dependencies, before the source, so a code change reinstalls none of them: pyproject.toml's
# dependencies plus those of the EXTRAS (self-references such as seqclf[speech] followed), less
# WITHOUT, listed by docker/requirements.py.
COPY pyproject.toml docker/requirements.py ./
RUN python requirements.py "${EXTRAS}" "${WITHOUT}" > /tmp/requirements.txt \
    && pip install --no-cache-dir -c constraints.txt -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY README.md ./
COPY seqclf ./seqclf
RUN pip install --no-cache-dir --no-deps -c constraints.txt .

COPY service ./service
COPY app.py ./
COPY examples ./examples

RUN useradd --no-create-home --home-dir /app/cache --uid 10001 seqclf \
    && mkdir -p /app/models /app/cache/huggingface /app/cache/matplotlib \
    && chown seqclf /app/models \
    && chmod 1777 /app/cache /app/cache/huggingface /app/cache/matplotlib
USER 10001


# The Gradio demo (python app.py, docs/ui.md): on 0.0.0.0, so visitors cannot load other models
# unless `python app.py --model-source hub|any` says so.
FROM base AS ui
RUN python -c "import seqclf.ui.app" || { echo "the ui target needs --build-arg EXTRAS=serve,speech,ui" >&2; exit 1; }
ENV GRADIO_SERVER_NAME=0.0.0.0 \
    GRADIO_SERVER_PORT=7860
EXPOSE 7860
# Any HTTP answer below 500 is healthy: with SEQCLF_API_KEY set, the page answers 401 without the key.
# The models load before the server listens, so an answer means they are loaded.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import http.client, os; c = http.client.HTTPConnection('127.0.0.1', int(os.environ['GRADIO_SERVER_PORT']), timeout=4); c.request('GET', '/'); raise SystemExit(c.getresponse().status >= 500)"]
# Exec form: python is PID 1 and uvicorn's SIGTERM handler stops the demo (docker stop).
CMD ["python", "app.py"]


# The REST service, the default target (the last stage).
FROM base AS service
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]
# Exec form: uvicorn is PID 1 and stops gracefully on SIGTERM (docker stop).
CMD ["uvicorn", "service.app:app", "--host", "0.0.0.0", "--port", "8000"]
