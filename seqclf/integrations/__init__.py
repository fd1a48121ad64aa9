"""seqclf inside the distributed engines users already run, for data that lives on a cluster.

Each module here is one engine, behind its optional extra (``spark.py``: Apache Spark,
``seqclf[spark]``); nothing else in seqclf imports them.
"""
