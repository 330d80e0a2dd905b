#!/usr/bin/env python3
"""Writes tests/data/world_tokenizer_cases.jsonl: texts (base64) with the ids
the official World tokenizer gives them (rwkv==0.8.32's TRIE_TOKENIZER,
encodeBytes, so invalid UTF-8 is covered too). Dev tool; the tests read only
its output.

  pip install --no-deps --target /tmp/oracle rwkv==0.8.32
  python3 tests/dev/make_tokenizer_cases.py /tmp/oracle ../shared/fixtures/tokenizer/rwkv_vocab_v20230424.txt
"""
import base64, json, random, sys

oracle, vocab = sys.argv[1], sys.argv[2]
sys.path.insert(0, oracle + "/rwkv")  # the tokenizer module alone: no torch needed
from rwkv_tokenizer import TRIE_TOKENIZER

tok = TRIE_TOKENIZER(vocab)
rng = random.Random(20261123)
texts = [
    "".encode(), "a".encode(), "\n\n".encode(), (" " * 300).encode(),
    "User: hi\n\nAssistant: Hi. I am your assistant.\n\n".encode(),
    "中文分词测试：我们今天去公园散步，天气很好。".encode(),
    "日本語のテキストとカタカナ、ひらがな。한국어 문장도 있습니다.".encode(),
    "Ελληνικά, русский текст, עברית, العربية, हिन्दी.".encode(),
    "emoji: 🌍🚀👩‍👩‍👧‍👦 🇯🇵 ❤️‍🔥 done".encode(),
    "def f(x):\n    return {'a': [1, 2, 3], \"b\": x ** 2}  # comment\n\tif x != 0: pass\r\n".encode(),
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }\n".encode(),
    "URLs https://example.com/a?b=c&d=e and numbers 3.14159 1e-10 0xDEADBEEF 1,000,000".encode(),
    b"invalid utf-8: \xff\xfe \xc3\x28 \xe2\x82 \xf0\x9f\x98 lone continuation \x80\xbf end",
    b"\x00\x01\x02 control \x1b[31m red \x1b[0m\x7f",
    ("-" * 200 + "=" * 81).encode(),
]
for n in (1, 7, 64, 500):
    texts.append(bytes(rng.randrange(256) for _ in range(n)))
alphabet = "abc xyz,.!?\n\t中文日本語😀é€0123456789"
for n in (10, 100, 1000):
    texts.append("".join(rng.choice(alphabet) for _ in range(n)).encode())
with open("tests/data/world_tokenizer_cases.jsonl", "w") as f:
    for t in texts:
        f.write(json.dumps({"text_b64": base64.b64encode(t).decode(), "tokens": tok.encodeBytes(t)}) + "\n")
print(len(texts), "cases")
