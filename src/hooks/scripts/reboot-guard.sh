# bootvet-reboot [--force] [ARGUMENT...]: reboots only if the entry GRUB boots
# next passes `bootvet check`.  Exit status 3 (next boot fails) refuses unless
# --force; bootvet's own trouble (exit 2) warns and reboots, so a broken bootvet
# never keeps a machine from rebooting.  ARGUMENTs go to the reboot command.
#   BOOTVET_REBOOT_COMMAND  what reboots (default: systemctl reboot)
force=
if [ "${1-}" = --force ]; then
    force=1
    shift
fi
reboot_args="$*"
if ! command -v "$BOOTVET" >/dev/null 2>&1; then
    bootvet_say "WARNING: '$BOOTVET' not found: rebooting without a check"
    status=2
else
    set -f
    # Word splitting is wanted: the administrator's arguments.
    # shellcheck disable=SC2086
    "$BOOTVET" check --quiet ${BOOTVET_CHECK_ARGS-}
    status=$?
    set +f
fi
case $status in
3)
    if [ -z "$force" ]; then
        bootvet_say "refusing to reboot: the entry GRUB boots next will fail (see above)"
        bootvet_say "fix it, or reboot anyway with: bootvet-reboot --force"
        exit 3
    fi
    bootvet_say "the next boot will fail; rebooting anyway (--force)"
    ;;
2)
    bootvet_say "WARNING: bootvet could not check the boot entries; rebooting unchecked"
    ;;
esac
# shellcheck disable=SC2086
exec ${BOOTVET_REBOOT_COMMAND:-systemctl reboot} $reboot_args
