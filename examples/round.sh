#!/usr/bin/env bash
# One planning round of the example federation, from the terminal, in a fresh SQLite file:
#   bash examples/round.sh [DB]        (default: round-demo.db in the current directory)
set -euo pipefail
here=$(dirname "$0")
export COMMONPLAN_DB=${1:-round-demo.db}
rm -f "$COMMONPLAN_DB"

commonplan federation create "$here/federation.yaml"
commonplan members add "$here/members.csv"
commonplan round open 1 --as member00
commonplan proposal file 1 --as member01 --council "North neighbourhood" --kind target \
    --title "household needs" --amount C10T12=150000 --amount L68B=200000 --amount Q86=120000
commonplan proposal file 1 --as member01 --council "North neighbourhood" --kind collective \
    --title "a canteen" --amount I=2000
commonplan proposal file 1 --as member02 --council "South neighbourhood" --kind collective \
    --title "a nursery" --amount P85=3000
commonplan proposal file 1 --as member03 --council "North dairy" --kind hours --title "our hours" \
    --hours 1500
commonplan round draft 1 --as member00
commonplan round view 1 --as member04
commonplan vote open 1 --as member00          # question 1: budget, question 2: ratification
for i in $(seq -w 0 29); do
    if (( 10#$i % 3 == 0 )); then approve=2; else approve=2,3; fi
    if (( 10#$i % 4 == 0 )); then choice=--no; else choice=--yes; fi
    # both boxes at once (all or none); `vote cast QUESTION` casts into one box
    commonplan vote ballot 1 --as "member$i" --approve "$approve" "$choice" > /dev/null
done
# the close prints the log head at close ("log head: SHA"): publish it, and keep it
head=$(commonplan vote close 1 --as member00 | tee /dev/stderr | awk '/^log head: /{print $3}')
rm -rf board && commonplan board export 1 board
commonplan board recount board --head "$head"  # proves the board against the head, no database
commonplan audit verify --head "$head"          # the live log still holds it, the tables match it
