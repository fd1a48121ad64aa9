"""The tasks seqclf knows how to train; importing this package registers them."""

from seqclf.tasks import (
    digits,  # noqa: F401  (registers the task)
    generic,  # noqa: F401  (registers text, audio and series)
    names,  # noqa: F401  (registers the task)
    sentiment,  # noqa: F401  (registers the task)
    vowels,  # noqa: F401  (registers the task)
)
from seqclf.tasks.base import Task, get_task, task_names

__all__ = ["Task", "get_task", "task_names"]
