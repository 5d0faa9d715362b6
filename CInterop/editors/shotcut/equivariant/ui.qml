// Shotcut's panel for the equivariant frei0r filter (Shotcut 22.12, Qt 5, as Debian 12 ships).
// Every control names the plugin parameter it sets (`parameter`). The plugin's numbers live in
// [0, 1]; a slider shows value · factor + offset, the same mapping as Kdenlive's description
// (CInterop/editors/kdenlive/frei0r_equivariant.xml). Tests/EqrTests/EditorDescriptionTests.swift
// reads these controls and runs every value, minimum, default and maximum in melt.
import QtQuick 2.12
import QtQuick.Controls 2.12
import QtQuick.Dialogs 1.2
import QtQuick.Layouts 1.12
import Shotcut.Controls 1.0 as Shotcut
import org.shotcut.qml 1.0 as Shotcut

Item {
    id: root

    property url settingsOpenPath: 'file:///' + settings.openPath
    property var fileTarget: null

    // FileDialog's onAccepted cannot reach context properties on older Qt: go through a signal.
    signal fileOpened(string path)

    function setNumber(slider) {
        filter.set(slider.parameter, (slider.value - slider.offset) / slider.factor);
    }

    // A parameter the project never set (a project written by another tool) shows, and gets,
    // the plugin's default rather than 0 in the plugin's units.
    function showNumber(slider) {
        if (filter.get(slider.parameter) === '')
            slider.value = slider.defaultValue;
        else
            slider.value = filter.getDouble(slider.parameter) * slider.factor + slider.offset;
    }

    function setChoice(combo) {
        filter.set(combo.parameter, combo.values[combo.currentIndex]);
    }

    function showChoice(combo) {
        var index = combo.values.indexOf(filter.get(combo.parameter));
        combo.currentIndex = index < 0 ? combo.values.indexOf(combo.defaultValue) : index;
    }

    function showFile(button) {
        var path = filter.get(button.parameter);
        button.label.text = path ? path.split('/').pop() : qsTr('None');
        button.label.color = path ? activePalette.text : 'red';
    }

    width: 350
    height: 330
    onFileOpened: settings.openPath = path
    Component.onCompleted: {
        var combos = [effectCombo, fitCombo, renderCombo];
        var sliders = [angleSlider, scaleSlider, txSlider, tySlider];
        if (filter.isNew) {
            for (var i = 0; i < combos.length; ++i)
                filter.set(combos[i].parameter, combos[i].defaultValue);
            for (var j = 0; j < sliders.length; ++j)
                filter.set(sliders[j].parameter, (sliders[j].defaultValue - sliders[j].offset) / sliders[j].factor);
        }
        for (var k = 0; k < combos.length; ++k)
            showChoice(combos[k]);
        for (var l = 0; l < sliders.length; ++l)
            showNumber(sliders[l]);
        showFile(modelButton);
        showFile(backgroundButton);
    }

    SystemPalette {
        id: activePalette

        colorGroup: SystemPalette.Active
    }

    Shotcut.File {
        id: chosenFile
    }

    FileDialog {
        id: fileDialog

        modality: application.dialogModality
        selectMultiple: false
        selectFolder: false
        folder: settingsOpenPath
        onAccepted: {
            chosenFile.url = fileDialog.fileUrl;
            root.fileOpened(chosenFile.path);
            filter.set(fileTarget.parameter, chosenFile.filePath);
            showFile(fileTarget);
        }
    }

    GridLayout {
        columns: 3
        anchors.fill: parent
        anchors.margins: 8

        Shotcut.Button {
            id: modelButton

            property string parameter: 'model'
            property var nameFilters: [qsTr('Equivariant models (*.safetensors)'), qsTr('All Files (*)')]
            property alias label: modelLabel

            text: qsTr('Model...')
            Layout.alignment: Qt.AlignRight
            onClicked: {
                fileTarget = modelButton;
                fileDialog.title = qsTr('Open a model trained by eqr');
                fileDialog.nameFilters = nameFilters;
                fileDialog.open();
            }
        }

        Label {
            id: modelLabel

            Layout.columnSpan: 2
            Layout.fillWidth: true
        }

        Shotcut.Button {
            id: backgroundButton

            property string parameter: 'background'
            property var nameFilters: [qsTr('Images and videos (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff *.mp4 *.mkv *.mov *.webm *.avi)'), qsTr('All Files (*)')]
            property alias label: backgroundLabel

            text: qsTr('Background...')
            Layout.alignment: Qt.AlignRight
            onClicked: {
                fileTarget = backgroundButton;
                fileDialog.title = qsTr('Open the new background (an image, or a video looped)');
                fileDialog.nameFilters = nameFilters;
                fileDialog.open();
            }
        }

        Label {
            id: backgroundLabel

            Layout.columnSpan: 2
            Layout.fillWidth: true
        }

        Label {
            text: qsTr('Effect')
            Layout.alignment: Qt.AlignRight
        }

        Shotcut.ComboBox {
            id: effectCombo

            property string parameter: 'effect'
            property var values: ['swap', 'transform', 'matte', 'cutout', 'reconstruct']
            property string defaultValue: 'swap'

            implicitWidth: 220
            model: [qsTr('Swap the background'), qsTr('Move the character (transform)'), qsTr('Matte (grey)'), qsTr('Cut-out (alpha)'), qsTr('Reconstruct the input')]
            onActivated: setChoice(effectCombo)
        }

        Shotcut.UndoButton {
            onClicked: {
                effectCombo.currentIndex = effectCombo.values.indexOf(effectCombo.defaultValue);
                setChoice(effectCombo);
            }
        }

        Label {
            text: qsTr('Rotation')
            Layout.alignment: Qt.AlignRight
        }

        Shotcut.SliderSpinner {
            id: angleSlider

            property string parameter: 'angle'
            property real factor: 360
            property real offset: -180
            property real defaultValue: 0

            minimumValue: -180
            maximumValue: 180
            decimals: 1
            suffix: qsTr(' °')
            onValueChanged: setNumber(angleSlider)
        }

        Shotcut.UndoButton {
            onClicked: angleSlider.value = angleSlider.defaultValue
        }

        Label {
            text: qsTr('Scale (log: 0 = 0.1×, 50 = 1×, 100 = 10×)')
            Layout.alignment: Qt.AlignRight
        }

        Shotcut.SliderSpinner {
            id: scaleSlider

            property string parameter: 'scale'
            property real factor: 100
            property real offset: 0
            property real defaultValue: 50

            minimumValue: 0
            maximumValue: 100
            decimals: 1
            onValueChanged: setNumber(scaleSlider)
        }

        Shotcut.UndoButton {
            onClicked: scaleSlider.value = scaleSlider.defaultValue
        }

        Label {
            text: qsTr('Horizontal shift (half widths)')
            Layout.alignment: Qt.AlignRight
        }

        Shotcut.SliderSpinner {
            id: txSlider

            property string parameter: 'tx'
            property real factor: 4
            property real offset: -2
            property real defaultValue: 0

            minimumValue: -2
            maximumValue: 2
            decimals: 2
            onValueChanged: setNumber(txSlider)
        }

        Shotcut.UndoButton {
            onClicked: txSlider.value = txSlider.defaultValue
        }

        Label {
            text: qsTr('Vertical shift (half heights, down)')
            Layout.alignment: Qt.AlignRight
        }

        Shotcut.SliderSpinner {
            id: tySlider

            property string parameter: 'ty'
            property real factor: 4
            property real offset: -2
            property real defaultValue: 0

            minimumValue: -2
            maximumValue: 2
            decimals: 2
            onValueChanged: setNumber(tySlider)
        }

        Shotcut.UndoButton {
            onClicked: tySlider.value = tySlider.defaultValue
        }

        Label {
            text: qsTr('Background of another shape')
            Layout.alignment: Qt.AlignRight
        }

        Shotcut.ComboBox {
            id: fitCombo

            property string parameter: 'fit'
            property var values: ['cover', 'contain', 'stretch']
            property string defaultValue: 'cover'

            implicitWidth: 220
            model: [qsTr('Cover (scale and crop)'), qsTr('Contain (pad with black)'), qsTr('Stretch')]
            onActivated: setChoice(fitCombo)
        }

        Shotcut.UndoButton {
            onClicked: {
                fitCombo.currentIndex = fitCombo.values.indexOf(fitCombo.defaultValue);
                setChoice(fitCombo);
            }
        }

        Label {
            text: qsTr('Rendering')
            Layout.alignment: Qt.AlignRight
        }

        Shotcut.ComboBox {
            id: renderCombo

            property string parameter: 'render'
            property var values: ['composite', 'model']
            property string defaultValue: 'composite'

            implicitWidth: 220
            model: [qsTr('Composite at full resolution'), qsTr("The model's rendering (scaled)")]
            onActivated: setChoice(renderCombo)
        }

        Shotcut.UndoButton {
            onClicked: {
                renderCombo.currentIndex = renderCombo.values.indexOf(renderCombo.defaultValue);
                setChoice(renderCombo);
            }
        }

        Item {
            Layout.fillHeight: true
            Layout.columnSpan: 3
        }
    }
}
