# Debian/Ubuntu kernel hook. run-parts runs /etc/kernel/{postinst,postrm}.d in
# C-locale order, so zz-zz-bootvet runs after zz-update-grub has rewritten
# /boot/grub/grub.cfg: the check sees the menu the next boot will show.
# Arguments: KERNEL-VERSION IMAGE-PATH.  run-parts --exit-on-error aborts the
# package on a non-zero status: this hook always exits 0.
bootvet_run "after __ACTION__ kernel ${1:-?}" /boot/grub/grub.cfg
exit 0
