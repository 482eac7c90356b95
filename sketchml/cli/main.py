"""Entry point of the ``sketchml`` console command.

Each sub-command lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser and sets ``func`` (called with
the parsed arguments, returning an exit code). Sub-command modules import
nothing heavy at module level, so ``sketchml --help`` stays instant. Plugins add
their own commands after these, through the ``sketchml_register_commands`` hook
(the clip plugin's ``sketchml guide``, for one).

:func:`main` is the one place errors become messages: a :class:`SketchmlError` or an
``OSError`` (a full disk, a folder that cannot be written) prints one line saying what
was wrong and what to do, and exits 1; ``--debug`` (or ``SKETCHML_DEBUG=1``) prints the
full traceback too. Any other exception is a bug: its traceback is shown as usual.
"""
from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
import traceback

from sketchml.errors import SketchmlError

# Sub-command modules, in the order ``--help`` lists them.
COMMAND_MODULES = [
    "sketchml.cli.run",
    "sketchml.cli.train",
    "sketchml.cli.walk",
    "sketchml.cli.react",
    "sketchml.cli.models",
    "sketchml.cli.plugins",
    "sketchml.cli.new_plugin",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sketchml",
        description="Creative coding with machine-learning models as drawing material.",
    )
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error, not only its message")
    from sketchml import __version__

    parser.add_argument("--version", action="version", version=f"sketchml {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub)
    from sketchml.models.registry import default_registry

    default_registry().add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``sketchml`` command with ``argv``; return its exit code.

    Examples:
        >>> main(["models", "no-such-model*"])  # doctest: +SKIP
        1
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    # --debug is accepted anywhere on the line, before or after the sub-command.
    debug = "--debug" in argv or os.environ.get("SKETCHML_DEBUG", "") not in ("", "0")
    argv = [arg for arg in argv if arg != "--debug"]
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of the output went away (`sketchml models | head -1`): stop quietly,
        # as Unix tools do, and keep Python from complaining when it flushes stdout at exit.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 141
    except (SketchmlError, OSError) as err:
        if debug:
            traceback.print_exc()
        print(f"sketchml: error: {error_message(err)}", file=sys.stderr)
        if not debug:
            print("sketchml: (run again with --debug to see the full traceback)", file=sys.stderr)
        return 1


def error_message(err: BaseException) -> str:
    """One sentence for a user's error: what was wrong and what to do.

    Examples:
        >>> import errno
        >>> error_message(OSError(errno.ENOSPC, "No space left on device", "out.mp4"))
        "disk full while writing 'out.mp4': free some space (or write to another disk) and run again. Files written before were kept; the unfinished one was removed."
    """
    if not isinstance(err, OSError) or isinstance(err, SketchmlError):
        return str(err)
    where = err.filename if err.filename is not None else None
    name = f" {str(where)!r}" if where is not None else ""
    reason = err.strerror or str(err)
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return (f"disk full while writing{name}: free some space (or write to another disk) and "
                "run again. Files written before were kept; the unfinished one was removed.")
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (f"cannot write or read{name}: {reason}. Choose a place you may write to "
                "(e.g. a folder in your home), or change the permissions.")
    if err.errno == errno.ENOENT:
        return f"{reason}:{name}. Check the path; a folder to write into must exist or be creatable."
    if err.errno in (errno.ENOTDIR, errno.EISDIR):
        return f"{reason}:{name}. Check the path: a file stands where a folder should be, or the other way round."
    return f"{reason}{':' + name if name else ''}."


if __name__ == "__main__":
    sys.exit(main())
