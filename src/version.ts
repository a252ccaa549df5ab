/** Our own version, and the vpnc version whose behaviour we reproduce. */
export const VERSION = '0.1.0';
export const VPNC_COMPAT_VERSION = '0.5.3';
