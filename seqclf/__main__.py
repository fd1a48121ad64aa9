"""``python -m seqclf`` is the ``seqclf`` command (handy under ``torchrun -m seqclf``)."""

from seqclf.cli import main

main()
