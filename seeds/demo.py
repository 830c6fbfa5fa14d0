"""Synthetic demo data at any scale, for demo mode, tests and benchmarks."""

import random

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华玉萍红娥玲芬燕彬鑫宇浩然子涵欣怡梓轩一诺思雨佳琪俊雨泽"


def random_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def generate_demo_data(size: int, seed: int = 2026) -> dict[str, int]:
    """Generate about ``size`` records of each kind the app keeps; returns counts."""
    counts: dict[str, int] = {}
    return counts
