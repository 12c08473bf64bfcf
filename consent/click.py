"""The consent layer for click programs (`pip install 'consent[click]'`).

`install(group, SPEC)` gives a click group what `consent.install` gives a typer app: the flag
before or after any command name, the `telemetry` group (built only when used), a screenview
for every command that runs, nested groups included, the first-run notice or question. It
works on the `click` package (8.1 and later).

This module is the adapter's start path: it imports click (which the program has loaded),
consent/_start.py and consent/_tree.py (the start path the click and typer adapters share), so
that a run that is off costs a host command three small modules (docs/architecture.md); the
`telemetry` group and a run that may send, show or ask load only when used.
"""

from typing import Any

import click

from consent._start import SpecRef, prepared
from consent._tree import (
    FLAGGED,
    Kit,
    build,
    flag_option,
    instrument,
    lazy_group_class,
    wrap_group_callback,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from consent._core.spec import AppSpec

_INSTALLED = "_consent_spec"

KIT = Kit(
    option=click.Option,
    argument=click.Argument,
    command=click.Command,
    group=click.Group,
    exit=click.exceptions.Exit,
    bad_parameter=click.BadParameter,
    current_context=lambda: click.get_current_context(silent=True),
    short_help=True,
)


def install(
    cli: "click.Group",
    spec: "AppSpec | str",
    *,
    group: "str | None" = None,
    name: "str | None" = None,
    env_prefix: "str | None" = None,
) -> "click.Group":
    """Give the click group `cli` the consent layer for `spec` and return `cli`.

    `spec` is the AppSpec, or a reference to it, `"package.module:NAME"`, with the app's `name`
    and `env_prefix` beside it: the module is then imported only when a run may send, shows a
    notice, asks, or runs a `telemetry` command (a mismatch is a SpecError then, and in the
    pytest plugin).

    Adds `--disable-analytics` to the group and to every command below it, so it works before
    or after a command name; the `telemetry` command group (status, enable, disable, local,
    reset, id, show-payload, notice, log, receipts), named `group` if given; and a screenview
    for every command that runs, nested groups included (a group that runs without a
    subcommand, `invoke_without_command=True`, counts as a command).

    Call it once; commands may be added before or after. Raises ConsentError for what it cannot
    take: a single click command (put it in a group), a typer app (use `consent.install`), a
    second install, or a command of the group's name.
    """
    if not isinstance(cli, click.Group):
        from consent._cli.hostrun import refusal  # what install refuses costs a run nothing

        raise refusal(_not_a_group(cli))
    installed: AppSpec | SpecRef | None = getattr(cli, _INSTALLED, None)
    if installed is not None:
        from consent._cli.hostrun import refusal

        raise refusal(f"the consent layer is already installed in this group ({installed!r})")
    kept = prepared(spec, group=group, name=name, env_prefix=env_prefix)
    if kept.group in cli.commands:
        from consent._cli.hostrun import clash

        raise clash(kept)
    cli.params.append(flag_option(KIT, kept))
    setattr(cli, FLAGGED, True)
    wrap_group_callback(KIT, cli, kept)  # the root run alone (invoke_without_command)
    original = cli.invoke

    def invoke(ctx: Any) -> Any:
        # The tree as it is when the program runs: commands added after install count too.
        instrument(KIT, cli, kept)
        return original(ctx)

    cli.invoke = invoke  # type: ignore[method-assign]
    # The telemetry group is built only when looked up, on top of the host's own group class.
    cli.__class__ = lazy_group_class(type(cli), lambda: build(KIT, kept), kept.group)
    setattr(cli, _INSTALLED, kept)
    return cli


def _not_a_group(cli: object) -> str:
    if isinstance(cli, click.Command):
        return (
            f"install() takes a click group, and {cli.name!r} is a single command: put it in a "
            "group (`@click.group()` on a function, then `group.add_command(command)`) so that "
            "the `telemetry` commands have a place beside it"
        )
    if type(cli).__module__.split(".")[0] == "typer":
        return (
            "install() of consent.click takes a click group, and this is a typer app: use "
            "`from consent import install` for typer apps"
        )
    return f"install() takes a click.Group, not {type(cli).__name__}"


__all__ = ["install"]
