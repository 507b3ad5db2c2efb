"""One root exception and its tree.

Every message says what happened, why, and what to do. The CLI prints ``str(error)`` as one line
and exits with ``error.exit_code``; a traceback is shown only with ``--debug``.
"""

from __future__ import annotations


class RelsynthError(Exception):
    """Root of every error relsynth raises on purpose."""

    exit_code = 1


class ConfigurationError(RelsynthError):
    """The user asked for something inconsistent or impossible (bad flag, bad config file)."""

    exit_code = 2


class ConnectionFailed(RelsynthError):
    """A database could not be reached, or refused the credentials."""

    exit_code = 3


class DriverMissing(ConnectionFailed):
    """The URL names a database driver that is not installed."""


class IntrospectionError(RelsynthError):
    """The source's catalog could not be read, or holds something relsynth cannot represent."""


class TargetNotEmpty(RelsynthError):
    """The target already holds tables that relsynth would create (use --replace)."""

    exit_code = 4


class SchemaCreationError(RelsynthError):
    """The target refused the DDL; what relsynth created was removed again."""


class TrainingError(RelsynthError):
    """A model could not be trained on the source data."""


class ExecutorError(RelsynthError):
    """A worker that ran tasks (relsynth.executors) stopped before it returned its results."""


class GenerationError(RelsynthError):
    """Synthetic rows could not be generated so that every constraint holds."""


class LoadError(RelsynthError):
    """The target refused the synthetic rows; the target was left as it was."""


class Interrupted(RelsynthError):
    """Ctrl-C (exit 130) or SIGTERM (exit 143) stopped a command; a target being loaded is as it was."""

    exit_code = 130


class ArtifactError(RelsynthError):
    """A saved run is missing, damaged, or of an unsupported format version."""


class PrivacyBudgetError(ConfigurationError):
    """The requested differential-privacy budget cannot be met."""


class ThresholdFailed(RelsynthError):
    """A report figure is on the wrong side of a threshold the user set."""

    exit_code = 5


class SourceMissing(ConnectionFailed):
    """The source database does not exist (relsynth never creates a source)."""


class SourceEmpty(IntrospectionError):
    """The source holds no table to learn from."""


class TargetMissing(ConnectionFailed):
    """The target database does not exist (use --create-target)."""


class TargetNotWritable(RelsynthError):
    """The target refuses the writes a clone needs (no CREATE privilege, read-only file or server)."""

    exit_code = 4


class TargetIsSource(ConfigurationError):
    """The target is the source database, however its URL is spelled: writing it would destroy the source."""


def driver_reason(exc: BaseException) -> str:
    """The first line of what the database driver said (SQLAlchemy wraps it as ``orig``), for a
    one-line message."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
