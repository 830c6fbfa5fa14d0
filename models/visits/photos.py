"""A visit's photos: checked, kept with a thumbnail and their EXIF time, a picture used on
another visit before flagged."""

import datetime as dt
import hashlib
import io

from mongoengine.fields import GridFSProxy
from PIL import Image

from ..files import base_name, check_upload
from .document import PHOTO_COLLECTION, THUMBNAIL_SIZE, Photo, Visit


def read_exif_time(image) -> dt.datetime | None:
    try:
        exif = image.getexif()
        raw = exif.get(36867) or exif.get_ifd(0x8769).get(36867) or exif.get(306)
    except Exception:
        return None
    if not raw:
        return None
    try:
        return dt.datetime.strptime(str(raw).strip("\x00"), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def add_photo(visit, data: bytes, filename: str, max_bytes: int) -> Photo:
    """Check an image, keep it with a thumbnail and its EXIF time, flag reuse
    (the same picture already kept on another record of the same kind)."""
    content_type = check_upload(data, filename, max_bytes, images_only=True, field="photo_upload")
    filename = base_name(filename)
    digest = hashlib.sha256(data).hexdigest()
    with Image.open(io.BytesIO(data)) as image:
        taken_at = read_exif_time(image)
        image.thumbnail(THUMBNAIL_SIZE)
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="JPEG", quality=80)
    original = GridFSProxy(collection_name=PHOTO_COLLECTION)
    original.put(data, filename=filename, content_type=content_type)
    thumbnail = GridFSProxy(collection_name=PHOTO_COLLECTION)
    thumbnail.put(buffer.getvalue(), filename=f"thumb-{filename}", content_type="image/jpeg")
    earlier = type(visit).objects(photo_hashes=digest, voided=False)
    if visit.pk:
        earlier = earlier.filter(pk__ne=visit.pk)
    earlier = earlier.only("id").first()
    photo = Photo(file=original, thumbnail=thumbnail, filename=filename, content_type=content_type, size=len(data),
                  sha256=digest, taken_at=taken_at, duplicate_of=str(earlier.pk) if earlier else None)
    visit.photos = [*list(visit.photos or []), photo]
    return photo




def discard_photos(visit: Visit, keep: set) -> None:
    """Remove the GridFS files of photos added to a save that was refused."""
    for photo in visit.photos or []:
        if photo.file and photo.file.grid_id not in keep:
            photo.file.delete()
            if photo.thumbnail:
                photo.thumbnail.delete()
