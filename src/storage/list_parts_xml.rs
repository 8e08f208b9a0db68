//! Reading a ListParts reply ourselves, for stores whose reply the SDK refuses.
//!
//! moto (the suite's second S3 implementation) answers ListParts with the root element
//! `ListPartsResponse` instead of S3's `ListPartsResult`; everything inside is S3's shape. The
//! AWS SDK checks the root's name and rejects the reply, so resuming an upload and completing
//! it without a part list failed there. This parser takes either root name and reads only
//! what Keepsake uses — each part's number, size, ETag and SHA-256, and the pagination — with
//! the same XML decoder the SDK uses. Any other root, or a part it cannot read, is an error.

use aws_smithy_xml::decode::{Document, ScopedDecoder, try_data};

use super::{UploadedPart, sha256_hex_of_base64};

/// One page of a ListParts reply.
#[derive(Debug, PartialEq)]
pub(super) struct PartsPage {
    pub parts: Vec<UploadedPart>,
    pub truncated: bool,
    pub next_marker: Option<String>,
}

pub(super) fn parse(body: &[u8]) -> Result<PartsPage, String> {
    let mut doc = Document::try_from(body).map_err(|e| e.to_string())?;
    let mut root = doc.root_element().map_err(|e| e.to_string())?;
    let name = root.start_el().local().to_owned();
    if name != "ListPartsResult" && name != "ListPartsResponse" {
        return Err(format!("a ListParts reply with the root element {name:?}"));
    }
    let mut page = PartsPage {
        parts: Vec::new(),
        truncated: false,
        next_marker: None,
    };
    while let Some(mut tag) = root.next_tag() {
        let field = tag.start_el().local().to_owned();
        match field.as_str() {
            "Part" => page.parts.push(part(&mut tag)?),
            "IsTruncated" => page.truncated = text(&mut tag)? == "true",
            "NextPartNumberMarker" => page.next_marker = Some(text(&mut tag)?),
            _ => {}
        }
    }
    Ok(page)
}

fn part(tag: &mut ScopedDecoder<'_, '_>) -> Result<UploadedPart, String> {
    let (mut number, mut size, mut etag, mut sha256) = (None, None, None, None);
    while let Some(mut field) = tag.next_tag() {
        let name = field.start_el().local().to_owned();
        match name.as_str() {
            "PartNumber" => number = text(&mut field)?.parse::<u32>().ok(),
            "Size" => size = text(&mut field)?.parse::<u64>().ok(),
            "ETag" => etag = Some(text(&mut field)?),
            "ChecksumSHA256" => sha256 = sha256_hex_of_base64(&text(&mut field)?),
            _ => {}
        }
    }
    match (number, size, etag) {
        (Some(part_number), Some(size), Some(etag)) => Ok(UploadedPart {
            part_number,
            size,
            etag,
            sha256,
        }),
        _ => Err("a listed part without a readable number, size or ETag".to_owned()),
    }
}

fn text(tag: &mut ScopedDecoder<'_, '_>) -> Result<String, String> {
    try_data(tag)
        .map(|data| data.trim().to_owned())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// moto 5.2.5's reply to ListParts of an upload with one part, as it sends it.
    const MOTO: &str = concat!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n",
        "<ListPartsResponse xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
        "<Bucket>bucket1</Bucket>",
        "<Key>k</Key>",
        "<UploadId>ftuSHYSZEWNSMSq1LaL6LQLWZRu6ZYaMosEEQvzKWT1gfeIaJUKb11jsQ</UploadId>",
        "<PartNumberMarker>0</PartNumberMarker>",
        "<NextPartNumberMarker>1</NextPartNumberMarker>",
        "<MaxParts>1000</MaxParts>",
        "<IsTruncated>false</IsTruncated>",
        "<Part>",
        "<PartNumber>1</PartNumber>",
        "<LastModified>2026-12-03T15:41:31.000Z</LastModified>",
        "<ETag>\"4f08eef4096726bff1125e1b1b734644\"</ETag>",
        "<Size>5242880</Size>",
        "</Part>",
        "<Initiator>",
        "<ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>",
        "<DisplayName>webfile</DisplayName>",
        "</Initiator>",
        "<Owner>",
        "<DisplayName>webfile</DisplayName>",
        "<ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>",
        "</Owner>",
        "<StorageClass>STANDARD</StorageClass>",
        "</ListPartsResponse>",
    );

    #[test]
    fn moto_s_reply_is_read() {
        let page = parse(MOTO.as_bytes()).unwrap();
        assert_eq!(
            page.parts,
            vec![UploadedPart {
                part_number: 1,
                size: 5_242_880,
                etag: "\"4f08eef4096726bff1125e1b1b734644\"".to_owned(),
                sha256: None,
            }]
        );
        assert!(!page.truncated);
        assert_eq!(page.next_marker.as_deref(), Some("1"));
    }

    #[test]
    fn s3_s_shape_with_checksums_and_pages_is_read() {
        let sha = super::super::base64_of(&[7u8; 32]);
        let xml = format!(
            "<?xml version=\"1.0\"?><ListPartsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <IsTruncated>true</IsTruncated><NextPartNumberMarker>2</NextPartNumberMarker>\
             <Part><PartNumber>2</PartNumber><ETag>\"b\"</ETag><Size>9</Size><ChecksumSHA256>{sha}</ChecksumSHA256></Part>\
             <Part><PartNumber>1</PartNumber><ETag>\"a\"</ETag><Size>5</Size></Part>\
             </ListPartsResult>"
        );
        let page = parse(xml.as_bytes()).unwrap();
        assert_eq!(page.parts.len(), 2);
        assert_eq!(page.parts[0].sha256, Some(hex::encode([7u8; 32])));
        assert_eq!((page.parts[1].part_number, page.parts[1].size), (1, 5));
        assert!(page.truncated);
        assert_eq!(page.next_marker.as_deref(), Some("2"));
    }

    #[test]
    fn anything_else_is_refused() {
        assert!(parse(b"<Error><Code>InternalError</Code></Error>").is_err());
        assert!(parse(b"not xml").is_err());
        let partless = b"<ListPartsResponse><Part><ETag>\"a\"</ETag></Part></ListPartsResponse>";
        assert!(parse(partless).is_err());
    }
}
