"""Demo mode: reference data, one account per role, synthetic records, in memory."""

from models.reference import Township
from seeds.loader import load_reference_data

from .accounts import create_user

DEMO_PASSWORD = "demo1234"


def prepare_demo(app) -> None:
    with app.app_context():
        load_reference_data()
        dongjiang = Township.objects(code="450305002").first()
        create_user("admin", "admin", "王管理", DEMO_PASSWORD)
        create_user("zhuguan", "coordinator", "李主管", DEMO_PASSWORD)
        create_user("shegong", "staff", "张社工", DEMO_PASSWORD, townships=[dongjiang])
        create_user("guanli", "manager", "赵局长", DEMO_PASSWORD)
        from seeds.demo import generate_demo_data  # a large data set: demo mode only

        generate_demo_data(app.config["DEMO_SIZE"])
