# kernel-install plugin (Fedora, RHEL, and anyone using systemd's kernel-install).
# Plugins run in file-name order across /usr/lib/kernel/install.d and
# /etc/kernel/install.d: 99-zz-bootvet runs after 90-loaderentry (writes the BLS
# snippet) and 99-grub-mkconfig (rewrites grub.cfg where BLS is off).
# Arguments: COMMAND KERNEL-VERSION ENTRY-DIR KERNEL-IMAGE [INITRD...].
# A plugin's non-zero status aborts kernel-install: this one always exits 0.
case ${1-} in
add) bootvet_run "after adding kernel ${2:-?}" /boot/grub2/grub.cfg --grub-flavour fedora ;;
remove) bootvet_run "after removing kernel ${2:-?}" /boot/grub2/grub.cfg --grub-flavour fedora ;;
esac
exit 0
