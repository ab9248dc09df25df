//! Linux TAP host interfaces (Ethernet0 ...) and network-namespace switching.
//!
//! A [`Tap`] is a non-blocking `/dev/net/tun` file descriptor attached to a TAP netdev of the
//! network namespace the *calling thread* is in when it is created (the control thread enters the
//! configured namespace with [`enter_netns`] before creating any). Closing the fd (drop) deletes
//! the netdev (it is not persistent), so a clean shutdown leaves nothing behind.
//!
//! No offloads are enabled on the TAP (no `TUNSETOFFLOAD`, no `IFF_VNET_HDR`): the kernel then
//! completes every checksum and segments every GSO packet before handing it to us, so what we
//! inject on the wire is always complete.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

const TUNSETIFF: libc::c_ulong = 0x4004_54ca;
const TUNSETCARRIER: libc::c_ulong = 0x4004_54e2;
const IFF_TAP: libc::c_short = 0x0002;
const IFF_NO_PI: libc::c_short = 0x1000;

/// Enter the network namespace `/run/netns/<name>` with the calling thread (only this thread moves).
pub fn enter_netns(name: &str) -> io::Result<()> {
    let path = format!("/run/netns/{name}");
    let f = File::open(&path).map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))?;
    // SAFETY: f is an open namespace file descriptor; setns only changes this thread's namespace.
    let rc = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc != 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(e.kind(), format!("setns({path}): {e}")));
    }
    Ok(())
}

fn ifreq_for(name: &str) -> io::Result<libc::ifreq> {
    let c = CString::new(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let bytes = c.as_bytes_with_nul();
    if bytes.len() > libc::IFNAMSIZ {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("interface name {name:?} longer than 15 bytes"),
        ));
    }
    // SAFETY: ifreq is plain C data for which all-zero is a valid value.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (d, s) in ifr.ifr_name.iter_mut().zip(bytes) {
        *d = libc::c_char::from_ne_bytes([*s]);
    }
    Ok(ifr)
}

/// A control socket for SIOC* interface ioctls in the current namespace.
fn ctl_socket() -> io::Result<OwnedFd> {
    // SAFETY: plain socket(2) call; the result is checked and owned.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn ioctl_ifr(fd: RawFd, req: libc::c_ulong, ifr: &mut libc::ifreq, what: &str) -> io::Result<()> {
    // SAFETY: ifr is a valid ifreq the kernel reads/writes for these SIOC*/TUN* requests.
    let rc = unsafe { libc::ioctl(fd, req, std::ptr::from_mut(ifr)) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(e.kind(), format!("{what}: {e}")));
    }
    Ok(())
}

/// A TAP host interface.
pub struct Tap {
    fd: OwnedFd,
    name: String,
}

impl Tap {
    /// Create TAP `name` in the calling thread's namespace with `mac` and `mtu`, bring it up, and
    /// set its carrier to `carrier`.
    pub fn create(name: &str, mac: [u8; 6], mtu: u32, carrier: bool) -> io::Result<Tap> {
        let path = c"/dev/net/tun";
        // SAFETY: path is NUL-terminated; flags are valid open(2) flags.
        let fd = unsafe {
            libc::open(
                path.as_ptr(),
                libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(e.kind(), format!("open /dev/net/tun: {e}")));
        }
        // SAFETY: fd is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let mut ifr = ifreq_for(name)?;
        ifr.ifr_ifru.ifru_flags = IFF_TAP | IFF_NO_PI;
        ioctl_ifr(
            fd.as_raw_fd(),
            TUNSETIFF,
            &mut ifr,
            &format!("TUNSETIFF {name}"),
        )?;
        let tap = Tap {
            fd,
            name: name.to_string(),
        };
        tap.set_mac(mac)?;
        tap.set_mtu(mtu)?;
        tap.set_carrier(carrier)?;
        tap.set_up(true)?;
        Ok(tap)
    }

    /// Interface name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Set the MAC address.
    pub fn set_mac(&self, mac: [u8; 6]) -> io::Result<()> {
        let s = ctl_socket()?;
        let mut ifr = ifreq_for(&self.name)?;
        // SAFETY: writing the sockaddr member of the ifreq union, which SIOCSIFHWADDR reads.
        unsafe {
            ifr.ifr_ifru.ifru_hwaddr.sa_family = libc::ARPHRD_ETHER;
            for (d, s) in ifr.ifr_ifru.ifru_hwaddr.sa_data.iter_mut().zip(mac) {
                *d = libc::c_char::from_ne_bytes([s]);
            }
        }
        ioctl_ifr(
            s.as_raw_fd(),
            libc::SIOCSIFHWADDR,
            &mut ifr,
            &format!("set MAC of {}", self.name),
        )
    }

    /// Set the MTU.
    pub fn set_mtu(&self, mtu: u32) -> io::Result<()> {
        let s = ctl_socket()?;
        let mut ifr = ifreq_for(&self.name)?;
        ifr.ifr_ifru.ifru_mtu = i32::try_from(mtu).unwrap_or(1500);
        ioctl_ifr(
            s.as_raw_fd(),
            libc::SIOCSIFMTU,
            &mut ifr,
            &format!("set MTU of {}", self.name),
        )
    }

    /// Bring the interface administratively up or down.
    pub fn set_up(&self, up: bool) -> io::Result<()> {
        let s = ctl_socket()?;
        let mut ifr = ifreq_for(&self.name)?;
        ioctl_ifr(
            s.as_raw_fd(),
            libc::SIOCGIFFLAGS,
            &mut ifr,
            &format!("get flags of {}", self.name),
        )?;
        // SAFETY: SIOCGIFFLAGS filled the flags member of the union.
        let mut flags = unsafe { ifr.ifr_ifru.ifru_flags };
        let upf = libc::c_short::try_from(libc::IFF_UP).unwrap_or(1);
        if up {
            flags |= upf;
        } else {
            flags &= !upf;
        }
        ifr.ifr_ifru.ifru_flags = flags;
        ioctl_ifr(
            s.as_raw_fd(),
            libc::SIOCSIFFLAGS,
            &mut ifr,
            &format!("set flags of {}", self.name),
        )
    }

    /// Set the carrier (oper state seen by the kernel) from the port's link state.
    pub fn set_carrier(&self, on: bool) -> io::Result<()> {
        let v: libc::c_int = i32::from(on);
        // SAFETY: TUNSETCARRIER reads one int from the pointer we pass.
        let rc = unsafe { libc::ioctl(self.fd.as_raw_fd(), TUNSETCARRIER, &v) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            return Err(io::Error::new(
                e.kind(),
                format!("TUNSETCARRIER {}: {e}", self.name),
            ));
        }
        Ok(())
    }

    /// Read one frame the kernel sent; `Ok(None)` when none is pending.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        // SAFETY: buf is valid writable memory of buf.len() bytes.
        let n = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::WouldBlock {
                return Ok(None);
            }
            return Err(e);
        }
        Ok(Some(usize::try_from(n).unwrap_or(0)))
    }

    /// Hand one frame to the kernel.
    pub fn send(&self, frame: &[u8]) -> io::Result<()> {
        // SAFETY: frame is valid readable memory of frame.len() bytes.
        let n = unsafe { libc::write(self.fd.as_raw_fd(), frame.as_ptr().cast(), frame.len()) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Raw fd (for poll).
    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// Wait until one of `fds` is readable or `timeout_ms` passes; returns the readable indices.
pub fn poll_readable(fds: &[RawFd], timeout_ms: i32, out: &mut Vec<usize>) -> io::Result<()> {
    out.clear();
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let n = libc::nfds_t::try_from(pfds.len()).unwrap_or(0);
    // SAFETY: pfds is a valid array of n pollfd structs.
    let rc = unsafe { libc::poll(pfds.as_mut_ptr(), n, timeout_ms) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::Interrupted {
            return Ok(());
        }
        return Err(e);
    }
    for (i, p) in pfds.iter().enumerate() {
        if p.revents & libc::POLLIN != 0 {
            out.push(i);
        }
    }
    Ok(())
}
