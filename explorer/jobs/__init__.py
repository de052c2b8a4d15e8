"""Background jobs: the manager that runs them (:mod:`.manager`) and what a failed job or
callback tells the user (:mod:`.failures`)."""

from explorer.jobs.failures import (
    JobFailure,
    describe_failure,
    run_job,
    run_timed_job,
    show_callback_error,
)
from explorer.jobs.manager import (
    JOB_MODULES,
    import_job_modules,
    make_background_manager,
    stop_workers,
)

__all__ = ["JOB_MODULES", "JobFailure", "describe_failure", "import_job_modules",
           "make_background_manager", "run_job", "run_timed_job", "show_callback_error",
           "stop_workers"]
