"""The baseline: the same data served by stock Flask-Admin ModelViews (no base
view, no fixes, no custom pages), and the indicator figures computed the naive
way a stock view would, by listing records and counting them in Python."""

from flask import Flask
from flask_admin import Admin, BaseView, expose
from flask_admin.contrib.mongoengine import ModelView

from models.activities import CommunityEvent, Training
from models.archives import Archive, ChildArchive
from models.casework import Case
from models.clock import local_today
from models.contracts import current_contract
from models.patrols import Patrol
from models.visits import Visit

STOCK_PREFIX = "/stock"


class StockArchiveView(ModelView):
    column_list = ("name", "sex", "birth_date", "township", "community", "categories", "status", "risk_level",
                   "worker", "completeness", "archive_date")
    column_filters = ("status", "sex", "complete")
    column_searchable_list = ("name",)
    can_view_details = True
    can_export = True
    export_max_rows = 0


class StockChildView(ModelView):
    column_filters = ("status", "risk_level")


class StockVisitView(ModelView):
    column_filters = ("mode", "week", "month")
    can_view_details = True


class StockPatrolView(ModelView):
    column_filters = ("week", "month", "campaign")


class StockCaseView(ModelView):
    column_filters = ("case_type",)


class NaiveIndicatorsView(BaseView):
    """Indicator figures the naive way: list every record, check it in Python."""

    @expose("/")
    def index(self):
        contract = current_contract()
        start, end = contract.start_date, contract.end_date
        figures = {}
        visits = [v for v in Visit.objects if start <= v.visited_at <= end]
        figures["入户探访"] = sum(1 for v in visits if v.mode == "home" and v.contact == "made")
        archives = list(Archive.objects)
        figures["建档"] = sum(1 for a in archives if a.complete and a.archive_date and start <= a.archive_date <= end)
        cases = list(Case.objects)
        figures["咨询个案"] = sum(1 for c in cases if c.case_type == "consultation" and c.qualification()[0])
        figures["专业个案"] = sum(1 for c in cases if c.case_type == "professional" and c.qualification()[0])
        events = list(CommunityEvent.objects)
        figures["大型活动"] = sum(1 for e in events if e.size == "large")
        figures["中小型活动"] = sum(1 for e in events if e.size == "small")
        trainings = list(Training.objects)
        figures["培训"] = len(trainings)
        weeks = {}
        for patrol in Patrol.objects:
            weeks[patrol.week] = weeks.get(patrol.week, 0) + 1
        figures["巡查达标周"] = sum(1 for n in weeks.values() if n >= 2)
        rows = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in figures.items())
        return f"<html><body><h1>{local_today()}</h1><table>{rows}</table></body></html>"

    @expose("/visits.home/")
    def detail(self):
        contract = current_contract()
        visits = [v for v in Visit.objects if contract.start_date <= v.visited_at <= contract.end_date
                  and v.mode == "home" and v.contact == "made"]
        items = "".join(f"<li>{v.visited_at:%Y-%m-%d} {v}</li>" for v in visits[:200])
        return f"<html><body><p>{len(visits)}</p><ul>{items}</ul></body></html>"


def stock_app(secret_key: str) -> Flask:
    """A second Flask app in the same process, on the same database connection."""
    app = Flask("stock")
    app.config["SECRET_KEY"] = secret_key
    from flask_babel import Babel

    Babel(app)
    admin = Admin(app, name="stock", url=STOCK_PREFIX)
    admin.add_view(StockArchiveView(Archive, endpoint="stock_archive", url=f"{STOCK_PREFIX}/archive"))
    admin.add_view(StockChildView(ChildArchive, endpoint="stock_child", url=f"{STOCK_PREFIX}/child"))
    admin.add_view(StockVisitView(Visit, endpoint="stock_visit", url=f"{STOCK_PREFIX}/visit"))
    admin.add_view(StockPatrolView(Patrol, endpoint="stock_patrol", url=f"{STOCK_PREFIX}/patrol"))
    admin.add_view(StockCaseView(Case, endpoint="stock_case", url=f"{STOCK_PREFIX}/case"))
    admin.add_view(NaiveIndicatorsView(endpoint="stock_indicators", url=f"{STOCK_PREFIX}/indicators"))
    return app


def filter_index(view: ModelView, column: str, operation_class: str) -> int:
    """The index of a stock filter, for its URL argument ``flt<position>_<index>``."""
    for index, flt in enumerate(view._filters):
        if flt.column == column and type(flt).__name__ == operation_class:
            return index
    raise LookupError(f"{column} {operation_class}")
