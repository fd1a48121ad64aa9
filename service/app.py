"""The deployable ASGI app, configured by ``SEQCLF_*`` environment variables.

    uvicorn service.app:app --host 0.0.0.0 --port 8000

Run one process per machine (or per container): each process batches on its own,
so more worker processes mean smaller batches, more memory and no more throughput
on a CPU that one process already keeps busy. See docs/serving.md.
"""

from seqclf.serving.app import create_app

app = create_app()
