"""CLI commands: ``flask --app wsgi <command>``."""

import click

from models.archives import Archive
from models.base import fill_missing_photo_hashes, fill_missing_voided, sync_indexes
from models.errors import DomainError
from models.services import rebuild_change_logs
from models.users import ROLE_LABELS
from models.visits import drop_retired_fields, rebuild_visit_tallies, refresh_visit_marks
from seeds.loader import load_reference_data

from .accounts import create_user, ensure_first_admin


def register(app):
    @app.cli.command("seed")
    def seed_command():
        """载入参考数据（街道/乡镇、社区、对象类别），可重复执行。"""
        added = load_reference_data()
        click.echo(f"参考数据已载入：新增街道/乡镇与社区 {added['townships']} 条，对象类别 {added['categories']} 条，"
                   f"规则 {added['rules']} 套。")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", type=click.Choice(list(ROLE_LABELS)), required=True,
                  help="staff=社工 coordinator=项目主管 manager=管理者 admin=系统管理员")
    @click.option("--name", "display_name", required=True, help="姓名")
    @click.option("--password", default=None, help="留空则自动生成")
    def create_user_command(username, role, display_name, password):
        """新建账户。"""
        try:
            user, password = create_user(username, role, display_name, password)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"已创建账户 {user.username}（{ROLE_LABELS[role]}），密码：{password}")

    @app.cli.command("rebuild-summaries")
    def rebuild_summaries_command():
        """重算保存的摘要（档案上的已探访周期、最近探访、最近修改，及按月入户探访计数），升级或数据迁入后执行一次。"""
        visited = refresh_visit_marks()
        logged = rebuild_change_logs(Archive)
        counted = rebuild_visit_tallies()
        click.echo(f"已重算：有探访记录的档案 {visited} 份，有修改记录的档案 {logged} 份，计入的入户探访 {counted} 次。")

    @app.cli.command("sync-indexes")
    def sync_indexes_command():
        """升级后执行一次：旧记录补上“未作废”标记，建立各数据表声明的索引，删除不再声明的旧索引（旧索引只会拖慢写入）。"""
        for collection, count in fill_missing_voided().items():
            click.echo(f"{collection}：{count} 条旧记录补上“未作废”标记")
        for collection, count in fill_missing_photo_hashes().items():
            click.echo(f"{collection}：{count} 条旧记录补上照片摘要")
        retired = drop_retired_fields()
        if retired:
            click.echo(f"visits：{retired} 条旧记录删去不再需要的按期分组字段")
        dropped = sync_indexes()
        if not dropped:
            click.echo("索引已是最新，没有需要删除的旧索引。")
        for collection, names in dropped.items():
            click.echo(f"{collection}：已删除旧索引 {'、'.join(names)}")

    @app.cli.command("ensure-admin")
    def ensure_admin_command():
        """没有系统管理员时创建 admin 账户并显示一次密码。"""
        password = ensure_first_admin()
        if password:
            click.echo(f"已创建首个系统管理员：用户名 admin，密码 {password}（只显示这一次，请登录后修改）")
        else:
            click.echo("已有系统管理员账户，无需创建。")
