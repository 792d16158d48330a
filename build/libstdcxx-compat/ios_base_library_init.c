/*
 * libLibTorchSharp.so (TorchSharp 0.107.0) is linked against GCC 13's libstdc++ and imports
 * std::ios_base_library_init() at GLIBCXX_3.4.32. GCC 13 emits that call so that the library
 * initialises <iostream> itself; an older libstdc++ (Debian 12 stops at GLIBCXX_3.4.30) already
 * initialises the standard streams from its own constructor, so the call has nothing to do.
 * This library provides the missing definition so that the loader can bind the call.
 */
void _ZSt21ios_base_library_initv(void) {}
