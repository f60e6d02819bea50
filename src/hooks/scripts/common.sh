# --- shared by every bootvet hook -------------------------------------------
# A hook must never fail the package transaction or kernel installation it runs
# in: every path below ends in `exit 0`, and bootvet's own failures are warnings.
#
# Settings, from the environment or /etc/default/bootvet (environment wins):
#   BOOTVET             the bootvet binary          (default: bootvet on PATH)
#   BOOTVET_CHECK_ARGS  arguments for bootvet check (default: this hook's grub.cfg)

bootvet_env_bin=${BOOTVET-}
bootvet_env_args=${BOOTVET_CHECK_ARGS-}
if [ -r /etc/default/bootvet ]; then
    # shellcheck source=/dev/null
    . /etc/default/bootvet
fi
[ -n "$bootvet_env_bin" ] && BOOTVET=$bootvet_env_bin
[ -n "$bootvet_env_args" ] && BOOTVET_CHECK_ARGS=$bootvet_env_args
BOOTVET=${BOOTVET:-bootvet}

bootvet_say() {
    printf 'bootvet: %s\n' "$*" >&2
}

# Unattended upgrades print to a log nobody reads: the verdict goes to syslog
# (the journal) too, where monitoring looks.
bootvet_log() {
    if command -v logger >/dev/null 2>&1; then
        logger -t bootvet -p "user.$1" -- "$2" 2>/dev/null || true
    fi
}

bootvet_indent() {
    printf '%s\n' "$1" | sed 's/^/bootvet:   /' >&2
}

# bootvet_run WHY CONFIG [CHECK-ARGUMENT...]
#   WHY:    what happened, for the messages ("after installing kernel 6.1.0-9")
#   CONFIG: the grub.cfg this distribution's tools just wrote
bootvet_run() {
    why=$1
    config=$2
    shift 2
    if [ -n "${BOOTVET_CHECK_ARGS-}" ]; then
        set -f
        # Word splitting is wanted: these are the administrator's arguments.
        # shellcheck disable=SC2086
        set -- $BOOTVET_CHECK_ARGS
        set +f
    else
        if [ ! -e "$config" ]; then
            bootvet_say "$config does not exist (no GRUB here?): boot entries not checked $why"
            return 0
        fi
        set -- --config "$config" "$@"
    fi
    if ! command -v "$BOOTVET" >/dev/null 2>&1; then
        bootvet_say "WARNING: '$BOOTVET' not found: the boot entries were NOT checked $why"
        bootvet_log warning "'$BOOTVET' not found: the boot entries were not checked $why"
        return 0
    fi
    output=$("$BOOTVET" --color never check --quiet "$@" 2>&1)
    status=$?
    case $status in
    0)
        bootvet_say "every boot entry checks out $why"
        ;;
    1)
        bootvet_say "WARNING: some boot entries will NOT boot $why (the entry that boots next is fine):"
        bootvet_log warning "some boot entries will not boot $why; see: bootvet check"
        bootvet_indent "$output"
        bootvet_say "see: $BOOTVET check $*"
        ;;
    3)
        bootvet_log crit "THE NEXT BOOT WILL FAIL $why: the entry GRUB boots next is broken; see: bootvet check"
        bootvet_say "****************************************************************"
        bootvet_say "*** THE NEXT BOOT WILL FAIL: the entry GRUB boots next is broken"
        bootvet_say "*** DO NOT REBOOT until this is fixed ($why)"
        bootvet_say "****************************************************************"
        bootvet_indent "$output"
        bootvet_say "see: $BOOTVET check $*"
        ;;
    *)
        bootvet_log warning "could not check the boot entries (exit status $status) $why"
        bootvet_say "WARNING: bootvet could not check the boot entries (exit status $status) $why;"
        bootvet_say "WARNING: the next boot was NOT verified:"
        bootvet_indent "$output"
        ;;
    esac
    return 0
}
# -----------------------------------------------------------------------------
