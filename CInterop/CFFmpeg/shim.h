#ifndef EQR_CFFMPEG_SHIM_H
#define EQR_CFFMPEG_SHIM_H
// FFmpeg's libraries for Swift. Function-like macros do not import into Swift, so the
// ones the project needs are restated below as constants or inline functions.
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <errno.h>

/// AVERROR(e) for a POSIX errno value.
static inline int eqr_averror(int e) { return AVERROR(e); }
/// AVERROR_EOF.
static const int EQR_AVERROR_EOF = AVERROR_EOF;
/// AVERROR(EAGAIN).
static const int EQR_AVERROR_EAGAIN = AVERROR(EAGAIN);
/// AV_NOPTS_VALUE.
static const int64_t EQR_AV_NOPTS_VALUE = AV_NOPTS_VALUE;
/// AV_TIME_BASE_Q as a function (compound literals do not import).
static inline AVRational eqr_av_time_base_q(void) { AVRational r = {1, AV_TIME_BASE}; return r; }

/// AVERROR(ENOENT): no such file or directory.
static const int EQR_AVERROR_ENOENT = AVERROR(ENOENT);
/// AVERROR(EINVAL): invalid argument.
static const int EQR_AVERROR_EINVAL = AVERROR(EINVAL);
/// AVERROR(ENOMEM): out of memory.
static const int EQR_AVERROR_ENOMEM = AVERROR(ENOMEM);
/// AVERROR_INVALIDDATA: invalid data found when processing input.
static const int EQR_AVERROR_INVALIDDATA = AVERROR_INVALIDDATA;
/// AVERROR_DECODER_NOT_FOUND.
static const int EQR_AVERROR_DECODER_NOT_FOUND = AVERROR_DECODER_NOT_FOUND;
/// AVERROR_ENCODER_NOT_FOUND.
static const int EQR_AVERROR_ENCODER_NOT_FOUND = AVERROR_ENCODER_NOT_FOUND;
/// AVERROR_FILTER_NOT_FOUND.
static const int EQR_AVERROR_FILTER_NOT_FOUND = AVERROR_FILTER_NOT_FOUND;
/// AVERROR_MUXER_NOT_FOUND.
static const int EQR_AVERROR_MUXER_NOT_FOUND = AVERROR_MUXER_NOT_FOUND;
/// AVERROR_OPTION_NOT_FOUND.
static const int EQR_AVERROR_OPTION_NOT_FOUND = AVERROR_OPTION_NOT_FOUND;
/// AVERROR_STREAM_NOT_FOUND.
static const int EQR_AVERROR_STREAM_NOT_FOUND = AVERROR_STREAM_NOT_FOUND;
/// AVERROR_BUG (used for internal invariants that FFmpeg reports as bugs).
static const int EQR_AVERROR_BUG = AVERROR_BUG;

/// av_strerror into a caller buffer; always NUL-terminates.
static inline void eqr_strerror(int code, char *buf, size_t size) {
    if (av_strerror(code, buf, size) < 0 && size > 0) {
        snprintf(buf, size, "FFmpeg error %d", code);
    }
}

/// av_q2d (a static inline in FFmpeg's headers, restated for clarity).
static inline double eqr_q2d(AVRational q) { return q.den ? (double)q.num / (double)q.den : 0.0; }
#endif
