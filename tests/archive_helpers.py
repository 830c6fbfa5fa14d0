import datetime as dt

from models import idnumber
from models.archives import ChildArchive, ElderlyArchive
from models.services import create_record


def child_id(birth=dt.date(2016, 5, 1), sequence=11):
    return idnumber.make("450305", birth, sequence)


def make_child(township, name="王小明", birth=dt.date(2016, 5, 1), sequence=11, actor=None, **extra):
    return create_record(ChildArchive(name=name, township=township, birth_date=dt.datetime.combine(birth, dt.time()),
                                      id_number=idnumber.make("450305", birth, sequence), **extra), actor)


def make_elder(township, name="李奶奶", birth=dt.date(1940, 1, 1), sequence=22, actor=None, **extra):
    return create_record(ElderlyArchive(name=name, township=township, birth_date=dt.datetime.combine(birth, dt.time()),
                                        id_number=idnumber.make("450305", birth, sequence), **extra), actor)


def child_form(home, **overrides):
    data = {"name": "刘小红", "id_number": child_id(dt.date(2015, 3, 5), 24), "sex": "女",
            "birth_date": "2015-03-05", "ethnicity": "汉族", "township": str(home.pk), "status": "active"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
