#!/usr/bin/env bash
# Installs libequivariant (library, header, pkg-config file), the frei0r plugins and eqr.
#
#   bash CInterop/install.sh [--prefix DIR] [--no-build] [--build-dir DIR]
#
#   --prefix DIR     where to install (default /usr/local):
#                      DIR/lib/libequivariant.so, DIR/include/equivariant.h,
#                      DIR/lib/pkgconfig/equivariant.pc, DIR/lib/frei0r-1/equivariant.so
#                      (FFmpeg's filter), DIR/lib/frei0r-1/equivariant_mixer.so (MLT's mixer2),
#                      DIR/bin/eqr, DIR/share/eqr/models/*.safetensors (the committed models,
#                      found by `eqr -m NAME`), DIR/share/eqr/photo-world (the photos of the
#                      photo-trained models' worlds), DIR/share/kdenlive/effects/frei0r_equivariant.xml,
#                      DIR/share/kdenlive/transitions/frei0r_equivariant_mixer.xml
#                      (Kdenlive's names, labels and ranges for the filter and the mixer),
#                      DIR/share/shotcut/qml/filters/equivariant/{meta,ui}.qml (Shotcut's, the filter),
#                      DIR/lib/eqr/swift (only with --no-build, see below)
#   --no-build       install what DIR (--build-dir) already holds instead of building
#   --build-dir DIR  the SwiftPM products directory (default .build/release)
#
# The two shared objects carry the Swift runtime inside (C hosts need no Swift toolchain).
# eqr is built with --static-swift-stdlib so it runs without one too; with --no-build, the Swift
# runtime an ordinary build of eqr links is bundled beside it instead. Files are copied to a
# temporary name and renamed, so an interrupted install never leaves a half-written file.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=/usr/local build=1 products=.build/release
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        --build-dir) products="$2"; shift 2 ;;
        *) echo "install.sh: unknown option $1 (see the comment at the top)" >&2; exit 2 ;;
    esac
done
if [ "$build" = 1 ]; then
    swift build -c release --product equivariant
    swift build -c release --product equivariant-frei0r
    swift build -c release --product equivariant-frei0r-mixer
    swift build -c release --product eqr --static-swift-stdlib --scratch-path .build-install
    eqr_binary=.build-install/release/eqr
else
    eqr_binary="$products/eqr"
fi
for f in "$products/libequivariant.so" "$products/libequivariant-frei0r.so" "$products/libequivariant-frei0r-mixer.so" "$eqr_binary"; do
    [ -f "$f" ] || { echo "install.sh: $f is missing; build first or drop --no-build" >&2; exit 1; }
done
version=$(sed -n 's/^#define EQR_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$/\2/p' CInterop/include/equivariant.h | paste -sd.)

# put SOURCE DESTINATION MODE: atomic copy; shared objects lose their debug symbols (-16 MB).
put() {
    mkdir -p "$(dirname "$2")"
    cp "$1" "$2.tmp.$$"
    case "$2" in *.so) ! command -v strip >/dev/null || strip --strip-unneeded "$2.tmp.$$" ;; esac
    chmod "$3" "$2.tmp.$$"
    mv -f "$2.tmp.$$" "$2"
    echo "installed $2"
}
put "$products/libequivariant.so" "$prefix/lib/libequivariant.so" 755
put "$products/libequivariant-frei0r.so" "$prefix/lib/frei0r-1/equivariant.so" 755
put "$products/libequivariant-frei0r-mixer.so" "$prefix/lib/frei0r-1/equivariant_mixer.so" 755
put CInterop/include/equivariant.h "$prefix/include/equivariant.h" 644
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" CInterop/equivariant.pc.in > "$prefix/.equivariant.pc.$$"
put "$prefix/.equivariant.pc.$$" "$prefix/lib/pkgconfig/equivariant.pc" 644
rm -f "$prefix/.equivariant.pc.$$"
# A --no-build eqr from an ordinary build links the Swift runtime of the toolchain it was built
# with (its RUNPATH points there). Bundle those libraries in DIR/lib/eqr/swift and point the
# installed eqr's RUNPATH at them, so it runs where no toolchain is (needs patchelf).
if [ "$build" = 0 ] && readelf -d "$eqr_binary" | grep -q 'libswiftCore\.so'; then
    command -v patchelf >/dev/null || { echo "install.sh: $eqr_binary links the Swift runtime of its toolchain; bundling it needs patchelf (apt-get install patchelf), or install without --no-build" >&2; exit 1; }
    toolchain=$(ldd "$eqr_binary" | awk '$1 == "libswiftCore.so" { print $3 }')
    toolchain=${toolchain%/*}
    [ -n "$toolchain" ] && [ -d "$toolchain" ] || { echo "install.sh: cannot find the Swift runtime $eqr_binary links (ldd)" >&2; exit 1; }
    ldd "$eqr_binary" | awk -v dir="$toolchain/" 'index($3, dir) == 1 { print $3 }' | while read -r library; do
        put "$library" "$prefix/lib/eqr/swift/$(basename "$library")" 755
    done
    mkdir -p "$prefix/bin"
    cp "$eqr_binary" "$prefix/bin/.eqr.tmp.$$"
    patchelf --set-rpath '$ORIGIN/../lib/eqr/swift' "$prefix/bin/.eqr.tmp.$$"
    put "$prefix/bin/.eqr.tmp.$$" "$prefix/bin/eqr" 755
    rm -f "$prefix/bin/.eqr.tmp.$$"
    echo "install.sh: $eqr_binary links the Swift runtime of $toolchain; bundled it in $prefix/lib/eqr/swift"
else
    put "$eqr_binary" "$prefix/bin/eqr" 755
fi
# The committed models, where `eqr -m NAME` (and `eqr models`) find them from any folder.
for model in examples/models/*.safetensors; do
    put "$model" "$prefix/share/eqr/models/$(basename "$model")" 644
done
# The photos the photo-trained models' worlds are drawn from (`eqr demo`, `eqr eval`), where
# their metadata looks: ../photo-world beside the models (copied from opencv-doc's files).
for photo in examples/photo-world/*/*; do
    [ -e "$photo" ] || { echo "install.sh: $photo is missing (apt-get install opencv-doc); the photo models' demo and eval need it" >&2; continue; }
    put "$photo" "$prefix/share/eqr/photo-world/${photo#examples/photo-world/}" 644
done
# Kdenlive reads effect descriptions from share/kdenlive/effects in its data folders, and
# composition (transition) descriptions from share/kdenlive/transitions.
put CInterop/editors/kdenlive/frei0r_equivariant.xml "$prefix/share/kdenlive/effects/frei0r_equivariant.xml" 644
put CInterop/editors/kdenlive/frei0r_equivariant_mixer.xml "$prefix/share/kdenlive/transitions/frei0r_equivariant_mixer.xml" 644
# Shotcut reads filters only from share/shotcut/qml/filters beside its own binary (for
# Debian's shotcut: --prefix /usr; otherwise copy that folder into Shotcut's).
for file in meta.qml ui.qml; do
    put "CInterop/editors/shotcut/equivariant/$file" "$prefix/share/shotcut/qml/filters/equivariant/$file" 644
done
# Programs and Python's ctypes find libequivariant.so by name through the linker's cache.
if [ "$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then ldconfig; fi
case "$prefix" in
    /usr | /usr/local) ;;
    *) echo "install.sh: $prefix/lib is not on the default search paths; for this shell:"
       echo "  export LD_LIBRARY_PATH=$prefix/lib PKG_CONFIG_PATH=$prefix/lib/pkgconfig FREI0R_PATH=$prefix/lib/frei0r-1 PATH=$prefix/bin:\$PATH" ;;
esac
