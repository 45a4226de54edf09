//! calsim: a mock Cal.com and partner platform.
