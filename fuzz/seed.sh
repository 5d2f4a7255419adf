#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the repository's fixtures (the corpora are not committed).
# Existing corpus files are kept: a campaign's corpus grows run after run.
set -euo pipefail
cd "$(dirname "$0")"
td=../testdata
mkdir -p corpus/load_yaml corpus/load_json corpus/resolve corpus/pipeline corpus/report
n=0
while IFS= read -r -d '' f; do
  n=$((n + 1))
  b="$n-$(basename "$f")"
  case "$f" in
    *.json)
      # load_json: an odd first byte keeps the file as it is; pipeline: 0x01 = JSON as it is.
      { printf '\x01'; cat "$f"; } > "corpus/load_json/$b"
      { printf '\x01'; cat "$f"; } > "corpus/pipeline/$b"
      ;;
    *)
      cp "$f" "corpus/load_yaml/$b"
      # pipeline: 0x00 = YAML.
      { printf '\x00'; cat "$f"; } > "corpus/pipeline/$b"
      # report: the text, then the words of findings and errors (NUL-separated).
      { tr -d '\000' < "$f"; printf '\0InstanceSg\0/Resources/InstanceSg/Properties\0bad \x1b[31mred\x1b[0m\r\n%%0A\0\xc3\xa9\xe2\x80\xae\xf0\x9f\x92\xa3\0/nowhere/0/~1x\0'; } > "corpus/report/$b"
      ;;
  esac
done < <(find "$td" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.template' -o -name '*.json' \) -size -64k -print0)
# resolve: four YAML fragments separated by 0x01.
printf '{P: {Type: String, Default: 0.0.0.0/0}}\x01{M: {a: {b: c}}}\x01{C: !Equals [!Ref P, x]}\x01{CidrIp: !If [C, !Ref P, !FindInMap [M, a, b]]}' > corpus/resolve/seed-1
printf '{}\x01{}\x01{}\x01{GroupName: !Sub "${AWS::StackName}-x", Tags: [{Key: !Select [0, !Split [",", "a,b"]]}]}' > corpus/resolve/seed-2
echo "seeded $n fixtures"
