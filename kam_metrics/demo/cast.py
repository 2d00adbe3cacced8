"""Who and what the demo is about: its calendar, the KAMs' plans, the salespeople and the words of its rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

SEED = 20260907
FIRST_MONDAY = date(2026, 9, 7)
WEEKS = 12  # 11 complete weeks (W37..W47) and W48, which is still in progress
LAST_DAY = date(2026, 11, 25)  # Wednesday of W48: the demo's as_of
CREATED = datetime(2026, 11, 26)  # fixed workbook property, so every run writes identical bytes
PROJECT = "保利国际广场"


@dataclass(frozen=True)
class KamPlan:
    name: str
    team: str
    start: date
    end: date | None = None
    listed_from: int = 0  # index of the first weekly file whose roster names this KAM
    end_listed_from: int = 0  # index of the first weekly file whose roster shows end_date
    missed: frozenset[int] = frozenset()  # week indexes in which the KAM falls short of a quota


# 张强 misses W43..W47 (streak 5: dismissal review); 刘洋 misses W46 and W47 (warning);
# 杨帆 misses three weeks in a row and recovers; 周杰 joins mid-week, 吴芳 leaves mid-week.
KAMS = (
    KamPlan("王伟", "一组", date(2025, 4, 1), missed=frozenset({3})),
    KamPlan("李娜", "一组", date(2024, 11, 11)),
    KamPlan("张强", "一组", date(2025, 8, 18), missed=frozenset({6, 7, 8, 9, 10})),
    KamPlan("刘洋", "一组", date(2026, 3, 2), missed=frozenset({4, 9, 10})),
    KamPlan("陈静", "二组", date(2025, 6, 9), missed=frozenset({2})),
    KamPlan("杨帆", "二组", date(2026, 5, 6), missed=frozenset({1, 2, 3})),
    KamPlan("周杰", "二组", date(2026, 9, 23), listed_from=2, missed=frozenset({3})),
    KamPlan(
        "吴芳", "二组", date(2025, 2, 17), end=date(2026, 10, 28), end_listed_from=7, missed=frozenset({5})
    ),
)
SALESPEOPLE = ("孙丽", "马超", "胡静", "郭涛", "林峰", "何雪", "罗婷")
WALKIN_SOURCES = ("自然到访", "老带新", "网络推广", "户外广告", "电话来访")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤"
)


def _words(text: str) -> list[str]:
    return text.split()


# Word lists in a fixed order: the seeded draws pick from them by position.
GIVEN = _words(
    "伟 芳 娜 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 建国 建华 志强 "
    "晓红 海燕 子涵 浩然 雨萱 欣怡 梓轩 宇轩 思远 嘉怡 俊杰 文博 佳琪 立新 国庆 春梅 玉兰 红梅 永刚 德明 "
    "小燕 婷婷 晨阳 一鸣 雅琴"
)
HONORIFICS = ("先生", "女士", "先生", "女士", "总", "老师", "小姐", "经理")
PREFIXES = _words(
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "176 177 178 180 181 182 183 185 186 187 188 189 198 199"
)
DISTRICTS = ("南山", "福田", "罗湖", "宝安", "龙岗", "龙华", "光明", "坪山", "盐田", "前海")
BRANDS = _words(
    "恒信 华泰 鹏程 盛世 远航 中科 天元 金桥 汇通 宏达 瑞丰 博雅 启明 新锐 安泰 "
    "万达 东方 银河 卓越 凯旋 永安 嘉禾 创维 德信 海纳 百川 星辰 蓝海 润泽 同济"
)
TRADES = tuple(
    _words(
        "科技有限公司 电子有限公司 物流有限公司 建设集团 医药有限公司 投资有限公司 实验学校 会计师事务所 "
        "律师事务所 人民医院分院 供电局营业部 税务所 商业银行支行 设计院 制造有限公司"
    )
)
CONTACTS = ("人事部张经理", "行政部刘女士", "工会王主席", "办公室陈主任", "综合部李经理", "前台周小姐")
VISIT_NOTES = ("客户意向强", "二次置业", "关注学区", "预算偏紧", "带父母看房", "", "", "", "", "")
