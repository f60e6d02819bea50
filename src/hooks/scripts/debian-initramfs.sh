# Debian/Ubuntu initramfs-tools hook: update-initramfs runs it after writing an
# initrd.  Arguments: KERNEL-VERSION INITRD-PATH.
# Inside a kernel package's postinst (INITRAMFS_TOOLS_KERNEL_HOOK=1 or
# DEB_MAINT_PARAMS set) grub.cfg is not rewritten yet; zz-zz-bootvet checks once
# zz-update-grub has run, so this hook stays silent there.
if [ "${INITRAMFS_TOOLS_KERNEL_HOOK-}" = 1 ] || [ -n "${DEB_MAINT_PARAMS-}" ]; then
    exit 0
fi
bootvet_run "after updating the initramfs of ${1:-?}" /boot/grub/grub.cfg
exit 0
