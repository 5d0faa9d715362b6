// Shotcut's metadata for the equivariant frei0r filter (installed by CInterop/install.sh into
// <prefix>/share/shotcut/qml/filters/equivariant; Shotcut reads filters only from its own
// share/shotcut/qml/filters, so for Debian's shotcut the prefix is /usr). The panel is ui.qml.
// Tests/EqrTests/EditorDescriptionTests.swift loads this file in a real Shotcut and runs every
// parameter of ui.qml in melt.
import QtQuick 2.0
import org.shotcut.qml 1.0

Metadata {
    type: Metadata.Filter
    name: qsTr('Equivariant Character Retargeting')
    keywords: qsTr('background removal replace swap matte cutout character move retarget', 'search keywords for the Equivariant Character Retargeting video filter') + ' equivariant'
    mlt_service: 'frei0r.equivariant'
    objectName: 'equivariantRetargeting'
    qml: 'ui.qml'
}
