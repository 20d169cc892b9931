# Sourced by the scripts: the environment every build and test step shares.

# Where cargo builds (see scripts/setup); ./target links to it.
export PULSE_TARGET_DIR="${PULSE_TARGET_DIR:-$HOME/.cache/pulse/target}"
export CARGO_LEPTOS_VERSION=0.3.10
# wasm-opt (npm binaryen), sass and playwright come from node_modules. Debian's
# binaryen is too old: its wasm-opt output never hydrates.
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# cargo-leptos sets this when it builds the server; setting it for every cargo
# command keeps the crates that read it from being rebuilt between `cargo test`
# and `cargo leptos build`.
export LEPTOS_OUTPUT_NAME=pulse
export PULSE_CHROMIUM="${PULSE_CHROMIUM:-/usr/bin/chromium}"
# The Postgres server the Rust tests also run against (scripts/setup --test
# starts Debian's when none answers).
export PULSE_TEST_POSTGRES_URL="${PULSE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
# Where scripts/setup --test installs the Performance Platform's Python client.
export PULSE_PYTHON_CLIENT="${PULSE_PYTHON_CLIENT:-$HOME/.cache/pulse/python-client}"
# Where scripts/setup --test installs schemathesis (end2end/schemathesis).
export PULSE_SCHEMATHESIS="${PULSE_SCHEMATHESIS:-$HOME/.cache/pulse/schemathesis}"
# Where scripts/setup --test installs the SMTP server the e-mail tests send to
# (aiosmtpd, run by end2end/mail/catch.py) and pyotp.
export PULSE_MAIL_TOOLS="${PULSE_MAIL_TOOLS:-$HOME/.cache/pulse/mail}"

# The release site and binary. cargo-leptos keeps a Brotli and a gzip copy of
# each file it serves; its gzip copies are made fast rather than small, so they
# are made again with zopfli (`pigz -11`, installed by scripts/setup; `gzip -9`
# where pigz is missing): a browser that takes no Brotli gets the main wasm in
# 550 KB instead of 670 (578 with `gzip -9`), ECharts in 167 instead of 206.
build_site() {
    cargo leptos build --release --split --precompress || return
    local pack=(gzip -9 -n -c)
    command -v pigz >/dev/null && pack=(pigz -11 -n -c)
    find target/site -name '*.gz' -print0 | while IFS= read -r -d '' packed; do
        if [ -f "${packed%.gz}" ]; then
            "${pack[@]}" "${packed%.gz}" > "$packed.new" && mv "$packed.new" "$packed"
        fi
    done
}
