"""Click in Vietnamese for the service's commands: their help under Vietnamese headings, and a command line that
click refuses (a missing option, a value of the wrong kind, an unknown option) reported in Vietnamese, as the
commands report their own errors. Click writes its texts in English through gettext and ships no Vietnamese
catalogue; these classes replace the few texts that reach the person at the terminal."""

import re
from datetime import date

import click

HELP_OPTION = "Hiện trợ giúp này rồi thoát."
EXTRA_WORDS = {"default": "mặc định", "required": "bắt buộc"}


class CliError(click.ClickException):
    """An error of a command, shown as «Lỗi: …» (exit status 1)."""

    def show(self, file=None):
        click.echo(f"Lỗi: {self.format_message()}", file=file, err=True)


class UsageError(click.UsageError):
    """A command line that does not fit the command: its usage, where to find help, then the error (status 2)."""

    def show(self, file=None):
        if self.ctx is not None:
            click.echo(self.ctx.get_usage(), file=file, err=True)
            click.echo(f"Xem «{self.ctx.command_path} --help» để biết cách dùng.\n", file=file, err=True)
        click.echo(f"Lỗi: {self.format_message()}", file=file, err=True)


class Date(click.ParamType):
    """A calendar date written YYYY-MM-DD."""

    name = "date"

    def get_metavar(self, param, ctx=None):
        return "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"«{value}» không phải một ngày có thật viết theo dạng YYYY-MM-DD (năm-tháng-ngày).",
                      param, ctx)


def _expected(param: click.Parameter) -> str:
    """What a value of `param` must be, for a value click's own type refused."""
    kind = param.type
    if isinstance(kind, click.Choice):
        return "phải là một trong: " + ", ".join(map(str, kind.choices))
    if isinstance(kind, click.IntRange):
        low = "" if kind.min is None else f" từ {kind.min}"
        high = "" if kind.max is None else f" đến {kind.max}"
        return f"phải là số nguyên{low}{high}"
    if isinstance(kind, click.types.IntParamType):
        return "phải là số nguyên"
    if isinstance(kind, click.types.FloatParamType):
        return "phải là một số"
    if isinstance(kind, click.Path):
        return "không có tệp này, hoặc không dùng được"
    return "không hợp lệ"


def vietnamese(error: click.UsageError) -> UsageError:
    """The Vietnamese version of a refusal click raised while reading the command line."""
    if isinstance(error, click.MissingParameter) and error.param is not None:
        kind = "tùy chọn" if isinstance(error.param, click.Option) else "tham số"
        message = f"Thiếu {kind} {error.param.get_error_hint(error.ctx)}."
    elif isinstance(error, click.BadParameter) and error.param is not None:
        why = error.message.rstrip(".") if isinstance(error.param.type, Date) else _expected(error.param)
        message = f"Giá trị không hợp lệ cho {error.param.get_error_hint(error.ctx)}: {why}."
    elif isinstance(error, click.BadParameter):
        message = f"Giá trị không hợp lệ cho {error.param_hint}: {error.message}" if error.param_hint else \
            error.message
    elif isinstance(error, click.NoSuchOption):
        message = f"Không có tùy chọn {error.option_name}."
        if error.possibilities:
            message += " Có phải ý bạn là: " + ", ".join(sorted(error.possibilities)) + "?"
    elif isinstance(error, click.BadOptionUsage):
        message = f"Tùy chọn {error.option_name} dùng không đúng (thiếu hoặc thừa giá trị)."
    else:
        message = "Dòng lệnh không đúng cách dùng (thừa tham số hoặc không có lệnh này)."
    return UsageError(message, error.ctx)


class _Vietnamese:
    """What a Vietnamese command and group share: the help's headings and the refusals of the command line."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[TÙY CHỌN]")
        super().__init__(*args, **kwargs)

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_OPTION
        return option

    def format_usage(self, ctx, formatter):
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix="Cách dùng: ")

    def format_options(self, ctx, formatter):
        rows = [(name, _extras_in_vietnamese(text)) for name, text in
                filter(None, (param.get_help_record(ctx) for param in self.get_params(ctx)
                              if not isinstance(param, click.Argument)))]
        if rows:
            with formatter.section("Tùy chọn"):
                formatter.write_dl(rows)

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except UsageError:
            raise
        except click.UsageError as exc:
            raise vietnamese(exc) from exc

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (CliError, UsageError, click.exceptions.Exit, click.Abort):
            raise
        except click.UsageError as exc:
            raise vietnamese(exc) from exc
        except click.ClickException as exc:
            error = CliError(exc.format_message())
            error.exit_code = exc.exit_code
            raise error from exc


def _extras_in_vietnamese(text: str) -> str:
    """An option's help with click's «[default: 1000; required]» said in Vietnamese."""
    def words(match):
        parts = [re.sub(r"^(default|required)\b", lambda m: EXTRA_WORDS[m[1]], part)
                 for part in match[1].split("; ")]
        return "[" + "; ".join(parts) + "]"

    return re.sub(r"\[([^\[\]]*)\]$", words, text)


class Command(_Vietnamese, click.Command):
    pass


class Group(_Vietnamese, click.Group):
    command_class = Command
    group_class = type  # its groups are Vietnamese too

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("subcommand_metavar", "LỆNH [THAM_SỐ]...")
        super().__init__(*args, **kwargs)

    def format_options(self, ctx, formatter):
        super().format_options(ctx, formatter)
        commands = [(name, command) for name in self.list_commands(ctx)
                    if (command := self.get_command(ctx, name)) is not None and not command.hidden]
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _ in commands)
            rows = [(name, command.get_short_help_str(limit)) for name, command in commands]
            with formatter.section("Lệnh"):
                formatter.write_dl(rows)

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            raise UsageError(f"Không có lệnh «{args[0] if args else ''}».", ctx) from exc

