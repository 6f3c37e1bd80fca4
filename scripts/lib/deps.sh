# Sourced by scripts that install what they need (from the repository root): one definition of
# each install step, so setup.sh and the scripts that may run before it agree on what "present"
# means.

# apt_install_missing PKG...: installs those of the packages that are not installed yet (as root,
# or through sudo); nothing when all are present.
apt_install_missing() {
	local pkg missing=()
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "apt-get install ${missing[*]}" >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

# ensure_e2e_npm: the npm packages of scripts/e2e (the polkadot.js tests and scripts), installed
# when absent or older than package-lock.json.
ensure_e2e_npm() {
	if [ ! -d scripts/e2e/node_modules/@polkadot/api ] ||
		[ scripts/e2e/package-lock.json -nt scripts/e2e/node_modules/.package-lock.json ]; then
		echo "npm ci (scripts/e2e)" >&2
		(cd scripts/e2e && npm ci --no-audit --no-fund --loglevel=error)
	fi
}
