//! Safe wrapper over a dlopen-ed libsai.so.
