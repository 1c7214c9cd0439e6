"""The word pools and weights the demo draws names, phones, schooling and trades from.

Fixed lists, not facts of the demo parks (those are in demo/data/parks.toml); the order of each
list is part of the seed's output, so reordering one changes the drawn names.
"""

from members.models import Member
from parks.models import Enterprise

Industry = Enterprise.Industry

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤"
)
# The commonest surnames come first; weights fall off along the list.
SURNAME_WEIGHTS = [max(1.0, 12.0 - i * 0.25) for i in range(len(SURNAMES))]
GIVEN_MALE = "伟强磊军洋勇杰涛明超斌鹏辉华飞刚建文志国海俊峰宇浩凯晨博鑫波林毅健亮宁龙正鸿翔昊然轩"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞燕玲婷倩雪琳颖慧佳欣怡萍红洁梅莉丹蕾晶瑶璐悦彤琪雯婧岚菲蓉洋"
GIVEN_ANY = "晓思子雨嘉梓一家文春秋天新永伟佳宏明世立"
# For a district whose entry in the data file names none of its own.
ETHNIC_MINORITIES = ("回族", "满族", "蒙古族", "土家族", "畲族")
PHONE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "199",
]
EDUCATION_WEIGHTS = {
    Member.Education.JUNIOR: 5,
    Member.Education.SENIOR: 14,
    Member.Education.COLLEGE: 31,
    Member.Education.BACHELOR: 40,
    Member.Education.MASTER: 9,
    Member.Education.DOCTOR: 1,
}
INDUSTRY_WEIGHTS = {
    Industry.ONLINE_SHOP: 34,
    Industry.PLATFORM: 7,
    Industry.LOGISTICS: 9,
    Industry.TRAINING: 5,
    Industry.AGENCY: 12,
    Industry.CROSS_BORDER: 12,
    Industry.LIVE_STREAMING: 15,
    Industry.OTHER: 6,
}
INDUSTRY_SUFFIXES = {
    Industry.ONLINE_SHOP: ("电子商务有限公司", "电子商务有限公司", "贸易有限公司"),
    Industry.PLATFORM: ("网络科技有限公司", "电子商务有限公司"),
    Industry.LOGISTICS: ("供应链管理有限公司", "物流有限公司"),
    Industry.TRAINING: ("电商培训有限公司", "教育科技有限公司"),
    Industry.AGENCY: ("电商运营管理有限公司", "品牌管理有限公司"),
    Industry.CROSS_BORDER: ("跨境电子商务有限公司", "进出口有限公司"),
    Industry.LIVE_STREAMING: ("文化传媒有限公司", "直播科技有限公司"),
    Industry.OTHER: ("信息技术有限公司", "设计有限公司"),
}
TRADE_NAME_FIRST = "云星优汇鑫润恒嘉禾锦诚盛瑞华晨易融信达通创启卓博智新天海南湖红帆蓝金丰兴悦若知青"
TRADE_NAME_SECOND = "帆途品选购联邦驰腾享客拓迅航源泰优创科众和宸睿辰瀚乐尚味美家居谷织"
COMMITMENTS = (
    "带头诚信经营，守护消费者权益",
    "为园区新入驻企业提供电商运营咨询",
    "帮助困难群众直播带货销售农产品",
    "每月参加一次志愿服务",
    "做好企业与园区党组织的联络员",
    "带头遵守平台规则，拒绝刷单炒信",
    "为青年员工提供职业发展辅导",
)
