"""Random images that are the same for the same index: a dataset for trying a pipeline."""
from .vision import VisionDataset

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """``size`` random images (normal noise, as PIL images) with random class labels; sample
    ``i`` is drawn from a generator seeded with ``i + random_offset``, so it never changes and
    the global random state is untouched.

    Args:
        size (int): number of samples. Default: 1000.
        image_size (tuple): ``(C, H, W)``. Default: ``(3, 224, 224)``.
        num_classes (int): Default: 10.
        transform, target_transform (callable, optional): applied to image and label.
        random_offset (int): added to the index to seed each sample. Default: 0.
    """

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size, self.num_classes = size, num_classes
        self.image_size, self.random_offset = image_size, random_offset

    def __getitem__(self, index):
        import disttrain
        from ..transforms import ToPILImage
        if index >= len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        g = disttrain.Generator().manual_seed(index + self.random_offset)
        img = disttrain.randn(*self.image_size, generator=g)
        target = disttrain.randint(0, self.num_classes, (1,), generator=g)[0]
        img = ToPILImage()(img)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, int(target)

    def __len__(self):
        return self.size
