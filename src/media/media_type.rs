//! The media types Keepsake accepts as samples, and their MIME names.
//!
//! The set is closed on purpose: anything not listed here is refused at
//! upload completion, so every accepted type has a metadata probe.

/// A sample's real content type, as found by [`sniff`](super::sniff).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    Jpeg,
    Png,
    Webp,
    Wav,
    Mp3,
    Flac,
    M4a,
    Mp4,
    QuickTime,
    Pdf,
}

impl MediaType {
    /// The canonical MIME type, used when storing and serving the object.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Wav => "audio/wav",
            Self::Mp3 => "audio/mpeg",
            Self::Flac => "audio/flac",
            Self::M4a => "audio/mp4",
            Self::Mp4 => "video/mp4",
            Self::QuickTime => "video/quicktime",
            Self::Pdf => "application/pdf",
        }
    }

    /// The usual file-name extension, for names the server makes up (downloads).
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Wav => "wav",
            Self::Mp3 => "mp3",
            Self::Flac => "flac",
            Self::M4a => "m4a",
            Self::Mp4 => "mp4",
            Self::QuickTime => "mov",
            Self::Pdf => "pdf",
        }
    }

    /// Parses a client's declared type: case-insensitive, parameters after
    /// `;` ignored, common browser and OS aliases accepted. `video/x-m4v` is
    /// deliberately not accepted (iTunes video, possibly DRM-protected).
    pub fn from_mime(s: &str) -> Option<Self> {
        let essence = s.split(';').next().unwrap_or_default().trim();
        let essence = essence.to_ascii_lowercase();
        let media = match essence.as_str() {
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Self::Jpeg,
            "image/png" => Self::Png,
            "image/webp" => Self::Webp,
            "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => Self::Wav,
            "audio/mpeg" | "audio/mp3" => Self::Mp3,
            "audio/flac" | "audio/x-flac" => Self::Flac,
            "audio/mp4" | "audio/x-m4a" | "audio/m4a" => Self::M4a,
            "video/mp4" => Self::Mp4,
            "video/quicktime" | "video/mov" => Self::QuickTime,
            "application/pdf" => Self::Pdf,
            _ => return None,
        };
        Some(media)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [MediaType; 10] = [
        MediaType::Jpeg,
        MediaType::Png,
        MediaType::Webp,
        MediaType::Wav,
        MediaType::Mp3,
        MediaType::Flac,
        MediaType::M4a,
        MediaType::Mp4,
        MediaType::QuickTime,
        MediaType::Pdf,
    ];

    #[test]
    fn canonical_names_round_trip() {
        for media in ALL {
            assert_eq!(MediaType::from_mime(media.mime()), Some(media));
        }
    }

    #[test]
    fn accepts_aliases_case_and_parameters() {
        let cases = [
            ("IMAGE/JPG", MediaType::Jpeg),
            ("image/pjpeg", MediaType::Jpeg),
            ("audio/x-wav", MediaType::Wav),
            ("audio/wave", MediaType::Wav),
            ("audio/vnd.wave; codec=1", MediaType::Wav),
            ("audio/mp3", MediaType::Mp3),
            ("audio/x-flac", MediaType::Flac),
            ("audio/x-m4a", MediaType::M4a),
            ("audio/m4a", MediaType::M4a),
            ("video/mov", MediaType::QuickTime),
            (" video/mp4 ; codecs=\"avc1.42E01E\"", MediaType::Mp4),
        ];
        for (mime, media) in cases {
            assert_eq!(MediaType::from_mime(mime), Some(media), "{mime}");
        }
    }

    #[test]
    fn refuses_unknown_types() {
        for mime in [
            "video/x-m4v",
            "image/gif",
            "text/html",
            "",
            ";",
            "image/jpeg2",
        ] {
            assert_eq!(MediaType::from_mime(mime), None, "{mime}");
        }
    }
}
