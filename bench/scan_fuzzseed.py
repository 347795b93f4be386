#!/usr/bin/env python3
"""Write Go fuzz seed-corpus files: scan_fuzzseed.py DIR/FuzzName 'seed1' 'seed2' ...
Each seed becomes testdata/fuzz/FuzzName/seed-N in the `go test fuzz v1` format."""
import os, sys
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
for i, s in enumerate(sys.argv[2:]):
    b = s.encode('utf-8').decode('unicode_escape').encode('latin-1') if '\\x' in s else s.encode('utf-8')
    with open(os.path.join(d, 'seed-%d' % i), 'w') as f:
        f.write('go test fuzz v1\n[]byte(%s)\n' % go_quote(b) if False else 'go test fuzz v1\n[]byte("%s")\n' % ''.join(
            ch if 32 <= ord(ch) < 127 and ch not in '"\\' else '\\x%02x' % ord(ch) for ch in b.decode('latin-1')))
