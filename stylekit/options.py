"""What the ``stylekit`` sub-commands share: config fields as command-line options, and the
check of an output file before any work.

``stylekit stylize``, ``stylekit train`` (:mod:`stylekit.cli`) and ``stylekit video``
(:mod:`stylekit.video.command`) all build their options from config dataclasses, so a
field's default and help text are written once, in its :func:`~stylekit.config.param`.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

from .config import MethodConfig, ParamSpec, describe
from .errors import StylekitError

#: Config fields whose command-line option is not simply ``--field-name``.
OPTION_NAMES = {"style_blend_weights": "--style-weights"}
#: Fields the commands set themselves (``stylize`` has its own ``--save-every``).
HANDLED = {"save_every"}


def option_name(spec: ParamSpec) -> str:
    """The command-line option of a config field.

    Example:
        >>> from stylekit.methods.gatys import GatysConfig
        >>> names = {s.name: option_name(s) for s in describe(GatysConfig)}
        >>> names["content_layer_weights"], names["style_blend_weights"]
        ('--content-layer-weights', '--style-weights')
    """
    return option_for(spec.name)


def option_for(name: str) -> str:
    """The command-line option of a parameter named ``name`` (a config field, or an argument
    such as ``style``): how the command line says the parameters of a
    :class:`~stylekit.errors.StylekitError`'s message.

    Args:
        name: the parameter's Python name.

    Returns:
        The option, ``--name-with-dashes`` unless :data:`OPTION_NAMES` says otherwise.

    Example:
        >>> from stylekit.errors import ConfigError
        >>> error = ConfigError("{style_blend_weights} has 3 values; add {style=PATH}")
        >>> error.render(option_for)
        '--style-weights has 3 values; add --style PATH'
    """
    return OPTION_NAMES.get(name, "--" + name.replace("_", "-"))


def add_config_options(parser: argparse.ArgumentParser, config_cls: type[MethodConfig],
                       title: str) -> None:
    """Add one option per field of ``config_cls`` to ``parser``, in a group named ``title``,
    with the field's help, default and choices. Options left out stay out of the parsed
    arguments (``argparse.SUPPRESS``), so the config's own default applies.

    Args:
        parser: the (sub-)command's parser.
        config_cls: a :class:`~stylekit.config.MethodConfig` dataclass.
        title: the heading of the group in ``--help``.

    Example:
        >>> from stylekit.video import VideoConfig
        >>> parser = argparse.ArgumentParser()
        >>> add_config_options(parser, VideoConfig, "video options")
        >>> vars(parser.parse_args(["--flow-blend", "0.5", "--no-drop-audio"]))
        {'flow_blend': '0.5', 'drop_audio': False}
    """
    group = parser.add_argument_group(title)
    for spec in describe(config_cls):
        if spec.name in HANDLED:
            continue
        default = spec.default
        if isinstance(default, tuple):
            default = ",".join(str(v) for v in default)
        # A help text that already explains its default keeps its own words.
        said = "(default" in spec.help or "(none:" in spec.help
        kwargs: dict[str, Any] = {
            "dest": spec.name,
            "default": argparse.SUPPRESS,
            "help": spec.help if said else f"{spec.help} (default: {default})",
        }
        if spec.base_type is bool:  # --name and --no-name: a field on by default can be off
            kwargs.update(action=argparse.BooleanOptionalAction)
        elif spec.is_sequence:
            kwargs.update(nargs="+", metavar="V")
        elif spec.choices:
            kwargs.update(choices=spec.choices, type=spec.base_type)
        else:
            kwargs.update(metavar=spec.base_type.__name__.upper())
        group.add_argument(option_name(spec), **kwargs)


def sequence_options_as_strings(config_cls: type[MethodConfig], params: dict[str, Any]) -> None:
    """Sequence options accept ``1 2`` or ``1,2``: hand them to the config as one string.

    Args:
        config_cls: the config the parameters are for.
        params: parsed options by field name; changed in place.

    Example:
        >>> from stylekit.methods.gatys import GatysConfig
        >>> params = {"scales": ["128", "256"], "steps": "10"}
        >>> sequence_options_as_strings(GatysConfig, params); params
        {'scales': '128,256', 'steps': '10'}
    """
    for spec in describe(config_cls):
        if spec.is_sequence and isinstance(params.get(spec.name), list):
            params[spec.name] = ",".join(params[spec.name])


def check_output(path: str | os.PathLike[str]) -> Path:
    """Make sure ``path`` can be written, before any work is spent on what goes there: its
    folder exists (a typo must not create folders), it is not a folder, and a file can be
    created beside it (the output is written atomically, through a temporary file there).

    Args:
        path: the output file the user gave.

    Returns:
        ``path`` as a :class:`~pathlib.Path`; otherwise a :class:`StylekitError` naming
        ``path`` and the reason.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> check_output(folder / "out.png") == folder / "out.png", list(folder.iterdir())
        (True, [])
        >>> check_output(folder / "nowhere" / "out.png")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        stylekit.errors.StylekitError: the folder of the output, .../nowhere, does not exist; \
create it first or fix the path
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise StylekitError(f"the folder of the output, {target.parent}, does not exist; "
                            "create it first or fix the path")
    if target.is_dir():
        raise StylekitError(f"cannot write {target}: Is a directory; give -o a file name")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                     dir=target.parent)
    except OSError as exc:
        raise StylekitError(f"cannot write {target}: {exc.strerror or exc}; choose another "
                            "place with -o") from None
    os.close(fd)
    os.unlink(probe)
    return target
