#!/usr/bin/env bash
# Fails when a folder of src/ includes a folder it may not (docs/ARCHITECTURE.md, Layers).
# Usage: tests/check_layers.sh SRC_DIR
set -euo pipefail
src=${1:?usage: check_layers.sh SRC_DIR}

# folder -> the folders of ours it may include, besides itself.
declare -A allowed=(
    [util]=""
    [runtime]="util"
    [storage]="util"
    [storage/memory]="storage util"
    [storage/sqlite]="storage util"
    [storage/redis]="storage util"
    [core]="storage runtime util"
    [auth]="util"
    [wire]="core util"
    [transport]="core wire auth runtime util"
    [webhook]="core storage wire runtime util"
    [cluster]="core storage storage/redis runtime util"
    [config]="util"
    [cli]="wire config auth util"
    [app]="*"
)

status=0
while IFS= read -r file; do
    relative=${file#"$src"/}
    folder=${relative%/*}
    # storage backends are folders of their own; every other folder is its top level
    case "$folder" in
        storage/memory* | storage/sqlite* | storage/redis*) layer=$(echo "$folder" | cut -d/ -f1-2) ;;
        *) layer=${folder%%/*} ;;
    esac
    rules=${allowed[$layer]-unknown}
    if [ "$rules" = unknown ]; then
        echo "$relative: folder $layer has no layer rule"
        status=1
        continue
    fi
    [ "$rules" = "*" ] && continue
    while IFS= read -r include; do
        target=${include%/*}
        case "$target" in
            storage/memory* | storage/sqlite* | storage/redis*) target_layer=$(echo "$target" | cut -d/ -f1-2) ;;
            *) target_layer=${target%%/*} ;;
        esac
        [ "$target_layer" = "$layer" ] && continue
        ok=0
        for rule in $rules; do
            [ "$rule" = "$target_layer" ] && ok=1
        done
        if [ $ok = 0 ]; then
            echo "$relative: may not include \"$include\" ($layer may include: ${rules:-nothing of ours})"
            status=1
        fi
    done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file")
done < <(find "$src" -name '*.hpp' -o -name '*.cpp' | sort)

if [ $status = 0 ]; then echo "include layers: ok"; fi
exit $status
