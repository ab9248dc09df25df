//! libsai.so: the SAI C API.
