"""The model charter (章程示范文本) and the checks every charter must pass.

The model text follows the Ministry of Civil Affairs' model charters for social groups
and private non-enterprise units, shortened; its party-building chapter is what the
record's ``charter_has_party_clause`` reports on."""

from __future__ import annotations

REQUIRED_SECTIONS: dict[str, str] = {
    "general": "总则",
    "purpose": "宗旨和业务范围",
    "members": "成员",
    "organs": "组织机构和负责人",
    "assets": "资产管理和使用原则",
    "amendment": "章程的修改程序",
    "termination": "终止程序及终止后的财产处理",
    "supplementary": "附则",
}
PARTY_SECTION = "party_building"
SECTION_TITLES = {**REQUIRED_SECTIONS, PARTY_SECTION: "党的建设"}
MAX_SECTION_CHARS = 20_000


def charter_template(*, name: str, region_name: str = "", org_type: str = "social_group") -> dict[str, str]:
    kind = {"non_enterprise": "社会服务机构", "foundation": "基金会"}.get(org_type, "社区社会组织")
    where = region_name or "本社区"
    return {
        "general": f"本组织名称为{name}，是在{where}范围内开展活动的非营利性{kind}。本组织遵守宪法、法律、"
                   "法规和国家政策，践行社会主义核心价值观，遵守社会道德风尚。",
        "party_building": "本组织根据《中国共产党章程》的规定，设立中国共产党的组织，开展党的活动，为党组织的"
                          "活动提供必要条件。党员人数不足三人的，由社区党组织派驻党建指导员或建立联合党支部。",
        "purpose": "本组织的宗旨是：突出居民需求，组织居民参与社区事务、协商议事和志愿服务。业务范围：（一）社区"
                   "志愿服务；（二）邻里互助；（三）文体活动；（四）其他社区公益服务。",
        "members": "承认本章程、自愿参加本组织活动的居民和驻区单位可以成为成员。成员有参加活动、提出建议和"
                   "退出的权利，有遵守章程、执行决议的义务。",
        "organs": "成员大会是本组织的最高权力机构，每年至少召开一次。本组织设负责人一名，由成员大会选举产生，"
                  "任期三年，可以连任。负责人应当具有完全民事行为能力并热心社区公益。",
        "assets": "本组织经费来源于成员自愿捐赠、政府购买服务和资助。经费用于章程规定的业务范围，不得在成员中"
                  "分配。财务收支定期向成员和社区居民委员会公开。",
        "amendment": "章程的修改由负责人提出，经成员大会表决通过后，报社区居民委员会和街道办事处备案。",
        "termination": "本组织完成宗旨或自行解散的，由成员大会表决通过并报备案机关办理注销。终止后的剩余财产"
                       "在社区居民委员会监督下用于与本组织宗旨相关的公益事业。",
        "supplementary": "本章程经成员大会表决通过，自备案之日起生效。本章程的解释权属于本组织成员大会。",
    }


def charter_errors(sections: object) -> dict[str, list[str]]:
    """Per section key, why the charter is not acceptable (empty if it is)."""
    if not isinstance(sections, dict):
        return {"sections": ["章程应为按章节组织的对象"]}
    errors: dict[str, list[str]] = {}
    for key, title in REQUIRED_SECTIONS.items():
        text = sections.get(key)
        if not isinstance(text, str) or not text.strip():
            errors[key] = [f"缺少必备章节「{title}」"]
    for key, text in sections.items():
        if key not in SECTION_TITLES:
            errors[key] = ["未知的章节"]
        elif not isinstance(text, str):
            errors[key] = ["章节须为文本"]
        elif len(text) > MAX_SECTION_CHARS:
            errors[key] = [f"章节不能超过 {MAX_SECTION_CHARS} 字"]
    return errors


def has_party_clause(sections: dict) -> bool:
    text = sections.get(PARTY_SECTION)
    return isinstance(text, str) and ("党" in text) and len(text.strip()) >= 10
