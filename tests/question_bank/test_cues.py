"""The cue measures themselves, on items built to show each cue and its absence."""

from collections import Counter

from question_bank import cues


def single(options, key, code="X-1"):
    return {"code": code, "type": "single_choice", "stem": "?", "options": options, "key": key}


def test_absolute_words_are_found_as_whole_words_in_any_case():
    assert cues.absolute_words("Luôn bật xác thực hai lớp cho mọi tài khoản") == ["luôn", "mọi"]
    assert cues.absolute_words("Không bao giờ chia sẻ mã OTP") == ["không bao giờ"]
    # "mọi" inside another word, or a word that merely starts like one, is not an absolute word
    assert cues.absolute_words("Tài khoản mới được cấp") == []


def test_a_distractor_with_an_absolute_word_and_a_key_without_one_is_cued():
    assert cues.absolute_word_cued(single(["Luôn luôn tắt máy", "Khóa màn hình khi rời chỗ", "Không làm gì"], 1))
    # the key carries one too: no cue
    assert not cues.absolute_word_cued(single(["Luôn khóa màn hình", "Luôn tắt máy", "Để nguyên"], 0))
    # no absolute word anywhere: no cue
    assert not cues.absolute_word_cued(single(["Khóa màn hình", "Tắt máy", "Để nguyên"], 0))


def test_a_multiple_response_item_is_cued_only_when_no_key_has_the_word():
    item = {"code": "X-2", "type": "multiple_response", "stem": "?", "key": [0, 2],
            "options": ["Cập nhật phần mềm", "Tắt mọi cảnh báo", "Sao lưu dữ liệu", "Gỡ phần mềm diệt virus"]}
    assert cues.absolute_word_cued(item)
    item["options"][2] = "Sao lưu toàn bộ dữ liệu quan trọng"
    assert not cues.absolute_word_cued(item)


def test_a_true_false_statement_with_an_absolute_word_is_cued_when_keyed_false():
    statement = {"code": "X-3", "type": "true_false", "stem": "Mật khẩu dài luôn an toàn.", "options": []}
    assert cues.absolute_word_cued({**statement, "key": False})
    assert not cues.absolute_word_cued({**statement, "key": True})


def test_key_length_rank_counts_longer_options_and_ranks_ties_first():
    assert cues.key_length_rank(single(["aaaa", "bb", "c", "dd"], 0)) == 1
    assert cues.key_length_rank(single(["aaaa", "bbb", "c", "dd"], 1)) == 2
    assert cues.key_length_rank(single(["aaaa", "bb", "c", "dd"], 2)) == 4
    assert cues.key_length_rank(single(["aa", "bb", "c", "d"], 1)) == 1


def test_report_gathers_the_figures():
    items = [
        single(["Luôn tắt máy", "Khóa màn hình", "Không làm gì", "Gọi IT"], 1, "A-1"),
        single(["Khóa màn hình", "Tắt máy tính ngay", "Đợi", "Gọi"], 0, "A-2"),
        {"code": "A-3", "type": "multiple_response", "stem": "?", "options": ["a", "b", "c", "d"], "key": [0, 1]},
        {"code": "A-4", "type": "multiple_response", "stem": "?", "options": ["a", "b", "c", "d"], "key": [1]},
        {"code": "A-5", "type": "ordering", "stem": "?", "options": ["a", "b"], "key": None},
    ]
    figures = cues.report(items)
    assert figures["absolute_cued"] == ["A-1"]
    assert figures["absolute_cued_share"] == 1 / 4
    assert figures["key_length_ranks"] == Counter({1: 1, 2: 1})
    assert figures["mr_key_counts"] == Counter({2: 1, 1: 1})
