#!/usr/bin/env bash
# The GitHub Action's install steps (action.yml), kept in a file so tests can run them locally
# (tests/it/action.rs). Two commands:
#
#   action-install.sh plan      decide how to install: prints (and appends to GITHUB_OUTPUT)
#                               version=, tag=, asset=, method= (release | source) and root=
#   action-install.sh install   install into root: download the release archive for this runner
#                               and verify its SHA-256 against the release's SHA256SUMS; when
#                               there is no release for this runner or the download fails, build
#                               from the action's own source with a pinned toolchain. Appends
#                               root/bin to GITHUB_PATH.
#   action-install.sh asset-name   print the release archive's name for RUNNER_OS/RUNNER_ARCH
#
# Which release: the one whose tag is `v<version>`, <version> being the action's own Cargo.toml,
# and only when the action is used at that tag (`uses: fdlint/fdlint@v0.2.0`) or at the commit the
# release was built from (`@<sha>`, checked against the release's `source-commit.txt`). At any
# other ref (a branch, another commit) the binary of the last release would not be the code the
# action's scripts were written for, so it builds from source.
#
# Environment:
#   GITHUB_ACTION_PATH   the action's directory (its source: Cargo.toml, Cargo.lock, src, ...)
#   FDLINT_ACTION_REF    the ref the workflow used the action at (action.yml passes
#                        github.action_ref; GITHUB_ACTION_REF when unset)
#   FDLINT_ACTION_REPOSITORY   owner/name of the action (github.action_repository; default
#                        fdlint/fdlint), whose releases are downloaded
#   FDLINT_METHOD, FDLINT_ROOT   for `install`: the plan's method and root (else planned again)
#   RUNNER_OS, RUNNER_ARCH     Linux | macOS | Windows, X64 | ARM64 | ...
#   RUNNER_TOOL_CACHE    where to install (default: RUNNER_TEMP, else a new temporary directory)
#   RUNNER_TEMP          scratch space for downloads and the source build
#   FDLINT_RELEASE_URL   base of the download URLs (default https://github.com/OWNER/NAME/releases/download);
#                        file:// works (tests)
#   FDLINT_TOOLCHAIN     Rust toolchain for the source build (default below)
#
# The source build never runs in the user's workspace: it runs in a scratch directory, so neither
# the workspace's rust-toolchain.toml nor its .cargo/config.toml applies, with RUSTUP_TOOLCHAIN
# pinned and CARGO_TARGET_DIR in that scratch directory.
set -euo pipefail

toolchain=${FDLINT_TOOLCHAIN:-1.90}

die() {
    echo "::error title=fdlint::$*"
    exit 1
}

action_path=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}
# On Windows (Git Bash) the runner's paths are `C:\...`: use their POSIX form here.
if command -v cygpath >/dev/null; then
    action_path=$(cygpath -u "$action_path")
    for v in RUNNER_TOOL_CACHE RUNNER_TEMP; do
        if [[ -n ${!v:-} ]]; then
            printf -v "$v" '%s' "$(cygpath -u "${!v}")"
        fi
    done
fi
version=$(awk '/^\[/ { p = ($0 == "[package]") } p && $1 == "version" { gsub(/"/, "", $3); print $3; exit }' \
    "$action_path/Cargo.toml")
[[ -n $version ]] || die "no version in $action_path/Cargo.toml"
tag="v$version"
repository=${FDLINT_ACTION_REPOSITORY:-${GITHUB_ACTION_REPOSITORY:-fdlint/fdlint}}
base=${FDLINT_RELEASE_URL:-https://github.com/$repository/releases/download}

# The release archive for this runner, named after the Rust target it was built for. Linux gets
# the static musl build, which runs on any distribution.
asset_name() {
    local target ext=tar.gz
    case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
        Linux/X64) target=x86_64-unknown-linux-musl ;;
        Linux/ARM64) target=aarch64-unknown-linux-musl ;;
        macOS/X64) target=x86_64-apple-darwin ;;
        macOS/ARM64) target=aarch64-apple-darwin ;;
        Windows/X64) target=x86_64-pc-windows-msvc ext=zip ;;
        *) return 1 ;;
    esac
    echo "fdlint-$version-$target.$ext"
}

scratch() {
    mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/fdlint-install.XXXXXX"
}

download() { # URL FILE
    curl --fail --silent --show-error --location --retry 3 --output "$2" "$1"
}

# SHA-256 as `sha256sum` prints it; macOS has `shasum -a 256` instead.
if command -v sha256sum >/dev/null; then
    sha256=(sha256sum)
else
    sha256=(shasum -a 256)
fi

# release | source, and why, for this ref and runner.
plan_method() {
    local ref=${FDLINT_ACTION_REF:-${GITHUB_ACTION_REF:-}} dir
    if ! asset_name >/dev/null; then
        echo "source no release archive for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}"
    elif [[ $ref == "$tag" ]]; then
        echo "release"
    elif [[ $ref =~ ^[0-9a-f]{40}$ ]]; then
        dir=$(scratch)
        if download "$base/$tag/source-commit.txt" "$dir/commit" 2>/dev/null &&
            [[ $(tr -d ' \r\n' <"$dir/commit") == "$ref" ]]; then
            echo "release"
        else
            echo "source commit $ref is not the source of release $tag"
        fi
        rm -rf "$dir"
    else
        echo "source ref '${ref:-?}' is not the release tag $tag"
    fi
}

# A hash of the source a build is made from: a build of one commit is never reused for another
# (the tool cache persists on self-hosted runners; action.yml caches source builds under it).
source_hash() {
    (cd "$action_path" && find Cargo.toml Cargo.lock src queries -type f -print0 | LC_ALL=C sort -z |
        xargs -0 "${sha256[@]}" | "${sha256[@]}" | cut -c1-16)
}

# What is installed, as a cache key: the version for a release, plus the source hash for a build.
install_key() { # METHOD
    if [[ $1 == source ]]; then
        echo "$version-src-$(source_hash)"
    else
        echo "$version"
    fi
}

# Where to install: per key and runner architecture, in the runner's tool cache.
root_dir() { # KEY
    local cache=${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-}}
    if [[ -z $cache ]]; then
        cache=$(mktemp -d)
    fi
    echo "$cache/fdlint/$1/${RUNNER_ARCH:-unknown}"
}

install_release() { # ROOT -> 0 installed, 1 not available (fall back), exits on a bad checksum
    local root=$1 asset dir expected actual stem exe=fdlint
    asset=$(asset_name)
    dir=$(scratch)
    if ! download "$base/$tag/$asset" "$dir/$asset" || ! download "$base/$tag/SHA256SUMS" "$dir/SHA256SUMS"; then
        echo "::warning title=fdlint::could not download $asset of release $tag; building from source instead"
        rm -rf "$dir"
        return 1
    fi
    expected=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1; exit }' "$dir/SHA256SUMS")
    actual=$("${sha256[@]}" "$dir/$asset" | cut -d' ' -f1)
    if [[ -z $expected ]]; then
        rm -rf "$dir"
        die "SHA256SUMS of release $tag has no checksum for $asset; refusing to install it"
    fi
    if [[ $expected != "$actual" ]]; then
        rm -rf "$dir"
        die "checksum mismatch for $asset of release $tag: SHA256SUMS says $expected, the download is $actual; refusing to install it"
    fi
    echo "fdlint: $asset verified (sha256 $actual)"
    mkdir -p "$dir/x" "$root/bin"
    if [[ $asset == *.zip ]]; then
        exe=fdlint.exe
        if command -v unzip >/dev/null; then
            unzip -q "$dir/$asset" -d "$dir/x"
        else
            7z x -bd -o"$dir/x" "$dir/$asset" >/dev/null
        fi
    else
        tar -xzf "$dir/$asset" -C "$dir/x"
    fi
    # The archive holds one directory named like itself (see .github/workflows/release.yml).
    stem=${asset%.tar.gz}
    mv "$dir/x/${stem%.zip}/$exe" "$root/bin/$exe"
    rm -rf "$dir"
}

install_source() { # ROOT
    local root=$1 dir
    dir=$(scratch)
    echo "fdlint: building $tag from $action_path with Rust $toolchain (cargo install --locked)"
    (
        cd "$dir"
        export RUSTUP_TOOLCHAIN=$toolchain CARGO_TARGET_DIR=$dir/target
        if command -v rustup >/dev/null; then
            rustup toolchain install "$toolchain" --profile minimal --no-self-update
        fi
        cargo install --locked --path "$action_path" --root "$root"
    )
    rm -rf "$dir"
}

case ${1:-} in
    asset-name)
        asset_name || die "no release archive for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}"
        ;;
    plan)
        read -r method reason <<<"$(plan_method)"
        key=$(install_key "$method")
        root=$(root_dir "$key")
        if [[ $method == source ]]; then
            echo "fdlint: $reason; building from source"
        fi
        out=$(printf 'version=%s\ntag=%s\nasset=%s\nmethod=%s\nkey=%s\nroot=%s\n' \
            "$version" "$tag" "$(asset_name || true)" "$method" "$key" "$root")
        echo "$out"
        if [[ -n ${GITHUB_OUTPUT:-} ]]; then
            echo "$out" >>"$GITHUB_OUTPUT"
        fi
        ;;
    install)
        method=${FDLINT_METHOD:-}
        if [[ -z $method ]]; then
            read -r method _ <<<"$(plan_method)"
        fi
        root=${FDLINT_ROOT:-$(root_dir "$(install_key "$method")")}
        if [[ -x $root/bin/fdlint || -x $root/bin/fdlint.exe ]]; then
            echo "fdlint: using $root/bin (cached)"
        elif [[ $method == release ]] && install_release "$root"; then
            :
        else
            install_source "$root"
        fi
        "$root/bin/fdlint" --version
        bin=$root/bin
        if command -v cygpath >/dev/null; then
            bin=$(cygpath -w "$bin")
        fi
        if [[ -n ${GITHUB_PATH:-} ]]; then
            echo "$bin" >>"$GITHUB_PATH"
        fi
        ;;
    *)
        echo "usage: action-install.sh plan|install|asset-name" >&2
        exit 2
        ;;
esac
