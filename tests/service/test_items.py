"""The question bank through the API: authoring, versions, review workflow, filters."""

from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry, ItemVersion

NEW_ITEM = {
    "type": "single_choice",
    "stem": "Khi nhận thư điện tử yêu cầu cung cấp mật khẩu tài khoản công vụ, cán bộ nên làm gì?",
    "options": ["Trả lời thư và cung cấp mật khẩu", "Không cung cấp, báo cho bộ phận CNTT của cơ quan",
                "Chuyển thư cho đồng nghiệp để hỏi ý kiến", "Mở tệp đính kèm để kiểm tra"],
    "key": 1,
    "explanation": "Cơ quan không bao giờ yêu cầu cung cấp mật khẩu qua thư; đây là dấu hiệu lừa đảo.",
    "competence": "AT.2",
    "level": "co_ban",
    "audiences": ["cong_chuc"],
}


def create(client, headers, **changes):
    response = client.post("/api/v1/items", json={**NEW_ITEM, **changes}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_author_creates_a_draft_with_stable_option_ids(client, bank, make_user, auth_headers):
    item = create(client, auth_headers(make_user("author")))
    assert item["status"] == "draft" and item["version"] == 1
    assert [o["text"] for o in item["options"]] == NEW_ITEM["options"]
    assert item["key"] == item["options"][1]["id"]
    assert len({o["id"] for o in item["options"]}) == 4


def test_invalid_items_are_refused_with_field_errors(client, bank, make_user, auth_headers):
    headers = auth_headers(make_user("author"))
    cases = [
        ({"key": 7}, "key"),
        ({"competence": "ZZ.9"}, "competence"),
        ({"level": "sieu_cap"}, "level"),
        ({"audiences": ["nguoi_ngoai_hanh_tinh"]}, "audiences"),
        ({"type": "essay"}, "type"),
        ({"stem": ""}, "stem"),
        ({"options": ["A", "A", "B"]}, "options"),
    ]
    for change, field in cases:
        response = client.post("/api/v1/items", json={**NEW_ITEM, **change}, headers=headers)
        assert response.status_code == 422, change
        assert field in response.get_json()["errors"], (change, response.get_json())
    assert db.session.scalar(select(db.func.count()).select_from(ItemVersion).where(
        ItemVersion.status == "draft")) == 0


def test_review_workflow_without_self_approval(client, bank, make_user, auth_headers):
    author, reviewer = make_user("author"), make_user("reviewer")
    a, r = auth_headers(author), auth_headers(reviewer)
    item = create(client, a)
    url = f"/api/v1/items/{item['id']}/transitions"
    assert client.post(url, json={"action": "approve"}, headers=r).status_code == 409  # still a draft
    assert client.post(url, json={"action": "submit"}, headers=a).get_json()["status"] == "in_review"
    assert client.post(url, json={"action": "approve"}, headers=a).status_code == 403  # authors don't approve
    rejected = client.post(url, json={"action": "reject"}, headers=r)
    assert rejected.status_code == 422  # a rejection needs a comment
    rejected = client.post(url, json={"action": "reject", "comment": "Phương án B chưa rõ."}, headers=r)
    assert rejected.get_json()["status"] == "draft"
    assert rejected.get_json()["review_comment"] == "Phương án B chưa rõ."
    client.post(url, json={"action": "submit"}, headers=a)
    approved = client.post(url, json={"action": "approve"}, headers=r).get_json()
    assert approved["status"] == "active"
    actions = [e.action for e in db.session.scalars(select(AuditEntry).where(
        AuditEntry.target_type == "item", AuditEntry.target_id == str(item["id"])).order_by(AuditEntry.id))]
    assert actions == ["item.create", "item.submit", "item.reject", "item.submit", "item.approve"]


def test_admin_author_cannot_approve_own_item(client, bank, make_user, auth_headers):
    admin = auth_headers(make_user("admin"))
    item = create(client, admin)
    url = f"/api/v1/items/{item['id']}/transitions"
    client.post(url, json={"action": "submit"}, headers=admin)
    refused = client.post(url, json={"action": "approve"}, headers=admin)
    assert refused.status_code == 403 and refused.get_json()["code"] == "self_review"


def test_editing_makes_a_new_version_and_keeps_the_active_one(client, bank, make_user, auth_headers):
    a, r = auth_headers(make_user("author")), auth_headers(make_user("reviewer"))
    item = create(client, a)
    url = f"/api/v1/items/{item['id']}"
    client.post(f"{url}/transitions", json={"action": "submit"}, headers=a)
    client.post(f"{url}/transitions", json={"action": "approve"}, headers=r)
    changed = dict(NEW_ITEM, stem=NEW_ITEM["stem"].replace("cán bộ", "công chức"))
    edited = client.put(url, json=changed, headers=a).get_json()
    assert edited["version"] == 2 and edited["status"] == "draft"
    # Unchanged option texts keep their ids across versions.
    assert [o["id"] for o in edited["options"]] == [o["id"] for o in item["options"]]
    versions = {v["number"]: v["status"] for v in edited["versions"]}
    assert versions == {1: "active", 2: "draft"}
    client.post(f"{url}/transitions", json={"action": "submit"}, headers=a)
    client.post(f"{url}/transitions", json={"action": "approve"}, headers=r)
    final = client.get(url, headers=r).get_json()
    assert {v["number"]: v["status"] for v in final["versions"]} == {1: "retired", 2: "active"}
    first = db.session.scalar(select(ItemVersion).where(ItemVersion.item_id == item["id"],
                                                        ItemVersion.number == 1))
    assert first.stem == NEW_ITEM["stem"]


def test_list_filters_and_paginates(client, bank, make_user, auth_headers):
    headers = auth_headers(make_user("reviewer"))
    everything = client.get("/api/v1/items?per_page=5", headers=headers).get_json()
    assert len(everything["items"]) == 5 and everything["total"] > 100
    at = client.get("/api/v1/items?competence=AT.3&per_page=200", headers=headers).get_json()
    assert at["total"] > 0 and all(i["competence"] == "AT.3" for i in at["items"])
    leaders = client.get("/api/v1/items?audience=lanh_dao&level=nang_cao&per_page=200",
                         headers=headers).get_json()
    assert all("lanh_dao" in i["audiences"] and i["level"] == "nang_cao" for i in leaders["items"])
    found = client.get("/api/v1/items?q=VNeID", headers=headers).get_json()
    assert found["total"] > 0 and all("vneid" in i["stem"].lower() for i in found["items"])
    assert client.get("/api/v1/items?status=bogus", headers=headers).status_code == 422
    assert client.get("/api/v1/items?per_page=100000", headers=headers).status_code == 422


def test_staff_item_view_has_key_in_answer_shape(client, bank, make_user, auth_headers):
    headers = auth_headers(make_user("reviewer"))
    listed = client.get("/api/v1/items?per_page=200", headers=headers).get_json()["items"]
    for kind in ("single_choice", "multiple_response", "true_false", "ordering"):
        sample = next(i for i in listed if i["type"] == kind)
        item = client.get(f"/api/v1/items/{sample['id']}", headers=headers).get_json()
        ids = [o["id"] for o in item["options"]]
        if kind == "single_choice":
            assert item["key"] in ids
        elif kind == "multiple_response":
            assert set(item["key"]) <= set(ids) and len(item["key"]) >= 2
        elif kind == "true_false":
            assert isinstance(item["key"], bool)
        else:
            assert sorted(item["key"]) == sorted(ids)
    assert client.get("/api/v1/items/999999", headers=headers).status_code == 404
