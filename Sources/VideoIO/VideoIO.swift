/// Video and image I/O on FFmpeg's libraries (in progress).
public enum VideoIO {}
