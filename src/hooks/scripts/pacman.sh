# Arch Linux: run by /etc/pacman.d/hooks/zz-bootvet.hook after a transaction that
# touched kernels or mkinitcpio.  pacman runs PostTransaction hooks in file-name
# order, so this runs after 90-mkinitcpio-install.hook has written the initrds.
# Arch does not rerun grub-mkconfig on kernel updates: the check shows whether
# the existing grub.cfg still matches what is in /boot.
bootvet_run "after the pacman transaction" /boot/grub/grub.cfg
exit 0
