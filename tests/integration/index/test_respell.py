# Document frequencies as a corpus would have them.


def test_search_finds_the_passage_despite_the_wrong_kanji(searcher):
    result = searcher.search("緯度軽度は小数点以下何桁で持つ？")
    assert result.respelled == (("軽度", "経度"),)
    assert result.question == "緯度軽度は小数点以下何桁で持つ？"
    assert "経度" in result.passages[0].chunk.text
    assert searcher.search("緯度軽度は小数点以下何桁で持つ？", respell=False).respelled == ()
