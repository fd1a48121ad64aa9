"""The REST inference service: FastAPI app, dynamic batching, metrics, ``seqclf serve``.

Needs the ``serve`` extra (``pip install 'seqclf[serve]'``). Nothing here is imported
by ``import seqclf``, so the library works without FastAPI installed.
"""
