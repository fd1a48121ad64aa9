"""The tasks seqclf knows how to train; importing this package registers them.

The built-in recipes are imported first, in the order their shipped models are listed
(``models/``, the demo's tabs); then the tasks that read the user's own data.
"""

# isort: off
from seqclf.tasks import names  # noqa: F401  (registers the task)
from seqclf.tasks import sentiment  # noqa: F401
from seqclf.tasks import digits  # noqa: F401
from seqclf.tasks import vowels  # noqa: F401
from seqclf.tasks import generic  # noqa: F401  (registers text, audio and series)

# isort: on
from seqclf.tasks.base import Task, built_in_tasks, get_task, own_data_tasks, task_names

__all__ = ["Task", "built_in_tasks", "get_task", "own_data_tasks", "task_names"]
